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

/** A refusal met while mounted: the mount cannot go on. */
export function mountedRefusal(e: ShareRefused): DriveError {
  return new DriveError('EACCES', e.message, { fatal: true, cause: e });
}
