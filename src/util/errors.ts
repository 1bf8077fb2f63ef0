/**
 * The one error type that crosses layer boundaries (driver → vfs → fuse).
 * `code` is a POSIX errno name so the FUSE layer can map it without knowing
 * anything about HTTP or a particular service.
 */
export type ErrnoCode =
  | 'ENOENT' | 'EACCES' | 'EPERM' | 'EIO' | 'ENOSPC' | 'EROFS' | 'EEXIST' | 'ENOTDIR'
  | 'EISDIR' | 'ENOTEMPTY' | 'EINVAL' | 'EFBIG' | 'ENAMETOOLONG' | 'ENOSYS' | 'EBUSY'
  | 'ETIMEDOUT' | 'EAGAIN' | 'EBADF' | 'ENOTSUP' | 'ENOTCONN' | 'EXDEV';

export class DriveError extends Error {
  readonly code: ErrnoCode;
  /** True when the error means the mount cannot go on (e.g. the refresh token was refused). */
  readonly fatal: boolean;
  readonly status?: number;

  constructor(code: ErrnoCode, message: string, opts: { fatal?: boolean; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DriveError';
    this.code = code;
    this.fatal = opts.fatal ?? false;
    this.status = opts.status;
  }
}

/** Configuration problems: reported to the user as a message and exit code 2, never as a stack trace. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Anything thrown below the vfs becomes a DriveError; unknown failures are EIO. */
export function toDriveError(e: unknown): DriveError {
  if (e instanceof DriveError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new DriveError('EIO', msg, { cause: e });
}
