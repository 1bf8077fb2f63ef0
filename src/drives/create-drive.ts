import type { HttpClient } from '../http/client.js';
import type { CredentialStore } from '../config/credential-store.js';
import { ConfigError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Drive } from './types.js';
import { parseOneDriveConfig } from './onedrive/config.js';
import { OneDriveDrive } from './onedrive/onedrive-drive.js';
import { parseAliyunConfig } from './aliyundrive/config.js';
import { AliyunDrive } from './aliyundrive/aliyundrive-drive.js';

export const DRIVE_TYPES = ['onedrive', 'aliyundrive-open'] as const;

/** Validate a remote's settings and build its driver. Throws ConfigError with a clear message. */
export function createDrive(
  name: string,
  remote: Record<string, unknown>,
  deps: { http: HttpClient; store: CredentialStore; log: Logger; chunkSize?: number },
): Drive {
  switch (remote.type) {
    case 'onedrive':
      return new OneDriveDrive(name, parseOneDriveConfig(name, remote), deps);
    case 'aliyundrive-open':
      return new AliyunDrive(name, parseAliyunConfig(name, remote), deps);
    case undefined:
      throw new ConfigError(`remote "${name}": "type" is missing (one of: ${DRIVE_TYPES.join(', ')})`);
    default:
      throw new ConfigError(`remote "${name}": unknown type "${String(remote.type)}" (one of: ${DRIVE_TYPES.join(', ')})`);
  }
}
