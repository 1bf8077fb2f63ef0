// A conformance target: a real driver, built as `drivemount` builds it, talking to its service's
// emulator in-process over a temp backing folder.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { createDrive } from '../../src/drives/create-drive.js';
import type { MountOptions } from '../../src/drives/descriptor.js';
import { remoteSettingsFor } from '../../src/emulators/emulator-process.js';
import { HttpClient } from '../../src/http/client.js';
import { silentLogger } from '../../src/util/log.js';
import { backingFolder } from './backing-folder.js';
import type { ConformanceTarget } from './drive-conformance.js';

/** What both emulators' in-process handles offer. */
interface RunningEmulator {
  url: string;
  port: number;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  stats(): Record<string, number>;
  close(): Promise<void>;
}

export async function emulatedTarget(
  service: Parameters<typeof remoteSettingsFor>[0],
  start: (root: string) => Promise<RunningEmulator>,
  options: MountOptions = {},
): Promise<ConformanceTarget> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `dm-conf-${service}-`));
  const emu = await start(root);
  const http = new HttpClient({ logger: silentLogger });
  const settings = remoteSettingsFor(service, { url: emu.url, port: emu.port, clientId: emu.clientId, clientSecret: emu.clientSecret, refreshToken: emu.refreshToken });
  const drive = createDrive('conformance', settings, { http, store: memoryRefreshTokenStore(emu.refreshToken), log: silentLogger }, options);
  await drive.connect();
  return {
    drive,
    ...backingFolder(root),
    stats: () => emu.stats(),
    async close() {
      await drive.close();
      await http.close();
      await emu.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
