import { ConfigCredentialStore } from '../config/credential-store.js';
import { readConfig, resolveConfigPath } from '../config/config-file.js';
import { lookupRemote, parseRemoteSpec } from '../config/remote-spec.js';
import { createDrive, driverFor } from '../drives/create-drive.js';
import { SubtreeDrive } from '../drives/subtree-drive.js';
import type { Drive } from '../drives/types.js';
import { HttpClient } from '../http/client.js';
import type { Logger } from '../util/log.js';

export interface OpenedRemote {
  drive: Drive;
  http: HttpClient;
  configFile: string;
  name: string;
}

/** `NAME[:/path]` → a connected driver, or a ConfigError/DriveError with a message for the user. */
export async function openRemote(spec: string, configOpt: string | undefined, log: Logger, opts: { chunkSize?: number } = {}): Promise<OpenedRemote> {
  const { name, subPath } = parseRemoteSpec(spec);
  const configFile = resolveConfigPath(configOpt);
  const cfg = await readConfig(configFile);
  const remote = lookupRemote(cfg, name, configFile);
  const http = new HttpClient({ logger: log });
  let drive = createDrive(name, remote, { http, store: new ConfigCredentialStore(configFile, name, driverFor(name, remote).credential), log }, { chunkSize: opts.chunkSize });
  if (subPath !== '/') drive = new SubtreeDrive(drive, subPath);
  try {
    await drive.connect();
  } catch (e) {
    await http.close();
    throw e;
  }
  return { drive, http, configFile, name };
}
