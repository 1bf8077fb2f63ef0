import { ConfigError, DriveError } from '../../util/errors.js';

/**
 * The share itself refused us: a wrong or missing password, a revoked or expired link. Before
 * mounting it is a configuration problem (exit code 2); once mounted, nothing more can be read.
 */
export class ShareRefused extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'ShareRefused';
  }
}

/**
 * A refusal met while mounted: that operation fails with EACCES and the mount stays up (the
 * owner may share again, a flaky answer may pass); the next call opens the link afresh.
 */
export function mountedRefusal(e: ShareRefused): DriveError {
  return new DriveError('EACCES', e.message, { cause: e });
}
