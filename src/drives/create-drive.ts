import type { HttpClient } from '../http/client.js';
import type { CredentialStore } from '../config/credential-store.js';
import type { RefreshTokenCredential } from '../config/credential.js';
import { ConfigError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Drive } from './types.js';
import { parseOneDriveConfig } from './onedrive/config.js';
import { OneDriveDrive } from './onedrive/onedrive-drive.js';
import { ALIYUN_BOOLEAN_SETTINGS, ALIYUN_NUMBER_SETTINGS, parseAliyunConfig } from './aliyundrive/config.js';
import { AliyunDrive } from './aliyundrive/aliyundrive-drive.js';

export const DRIVE_TYPES = ['onedrive', 'aliyundrive-open'] as const;
type DriveType = (typeof DRIVE_TYPES)[number];
type DriveDeps = { http: HttpClient; store: CredentialStore<RefreshTokenCredential>; log: Logger; chunkSize?: number };

/** Each type's settings parser (which validates) and driver. */
const DRIVERS: Record<DriveType, { parse(name: string, remote: Record<string, unknown>): unknown; build(name: string, remote: Record<string, unknown>, deps: DriveDeps): Drive }> = {
  onedrive: {
    parse: parseOneDriveConfig,
    build: (name, remote, deps) => new OneDriveDrive(name, parseOneDriveConfig(name, remote), deps),
  },
  'aliyundrive-open': {
    parse: parseAliyunConfig,
    build: (name, remote, deps) => new AliyunDrive(name, parseAliyunConfig(name, remote), deps),
  },
};

function driverFor(name: string, remote: Record<string, unknown>) {
  if (remote.type === undefined) throw new ConfigError(`remote "${name}": "type" is missing (one of: ${DRIVE_TYPES.join(', ')})`);
  if (!(DRIVE_TYPES as readonly unknown[]).includes(remote.type)) {
    throw new ConfigError(`remote "${name}": unknown type "${String(remote.type)}" (one of: ${DRIVE_TYPES.join(', ')})`);
  }
  return DRIVERS[remote.type as DriveType];
}

/** Validate a remote's settings and build its driver. Throws ConfigError with a clear message. */
export function createDrive(name: string, remote: Record<string, unknown>, deps: DriveDeps): Drive {
  return driverFor(name, remote).build(name, remote, deps);
}

/** Check a remote's settings without building anything (`config set`). Throws ConfigError. */
export function validateRemote(name: string, remote: Record<string, unknown>): void {
  driverFor(name, remote).parse(name, remote);
}

/** A value typed on the command line as the setting's type: `true`/`false` and numbers where the setting takes them. */
export function settingValue(type: unknown, key: string, text: string): unknown {
  if (type === 'aliyundrive-open' && (ALIYUN_BOOLEAN_SETTINGS as readonly string[]).includes(key)) {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new ConfigError(`"${key}" takes true or false (got "${text}")`);
  }
  if (type === 'aliyundrive-open' && (ALIYUN_NUMBER_SETTINGS as readonly string[]).includes(key)) {
    if (/^\d+$/.test(text)) return Number(text);
    throw new ConfigError(`"${key}" takes a whole number (got "${text}")`);
  }
  return text;
}
