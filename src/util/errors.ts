/**
 * The one error type that crosses layer boundaries (driver → vfs → fuse).
 * `code` is a POSIX errno name so the FUSE layer can map it without knowing
 * anything about HTTP or a particular service.
 */
export type ErrnoCode =
  | 'ENOENT' | 'EACCES' | 'EPERM' | 'EIO' | 'ENOSPC' | 'EROFS' | 'EEXIST' | 'ENOTDIR'
  | 'EISDIR' | 'ENOTEMPTY' | 'EINVAL' | 'EFBIG' | 'ENAMETOOLONG' | 'ENOSYS' | 'EBUSY'
  | 'ETIMEDOUT' | 'EAGAIN' | 'EBADF' | 'ENOTSUP' | 'ENOTCONN' | 'EXDEV' | 'EDQUOT';

/** How loudly the layer that answers a failed operation (FUSE) logs it. */
export type FailureLevel = 'silent' | 'debug' | 'info' | 'warn' | 'error';

/** Answers that are part of normal life (lookups of absent names, refusals the caller expects): debug only. */
const EXPECTED_CODES: ReadonlySet<ErrnoCode> = new Set(['ENOENT', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOTEMPTY']);

export class DriveError extends Error {
  readonly code: ErrnoCode;
  /** True when the error means the mount cannot go on (e.g. the refresh token was refused). */
  readonly fatal: boolean;
  readonly status?: number;
  /** Set where the error is known to deserve a level of its own (e.g. 'silent' once already logged there). */
  level?: FailureLevel;

  constructor(code: ErrnoCode, message: string, opts: { fatal?: boolean; status?: number; cause?: unknown; level?: FailureLevel } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DriveError';
    this.code = code;
    this.fatal = opts.fatal ?? false;
    this.status = opts.status;
    this.level = opts.level;
  }

  /** Marks the level this error is logged at when answered; returns it, so `throw err.withLevel(...)` reads well. */
  withLevel(level: FailureLevel): DriveError {
    // A copy: the same error object may be shared (single-flight fetches and refreshes), and
    // another receiver of it must still log it at its own level.
    const copy = new DriveError(this.code, this.message, { fatal: this.fatal, status: this.status, cause: this.cause });
    copy.level = level;
    copy.stack = this.stack;
    return copy;
  }
}

/** The level a failed operation is logged at: the error's own, else debug for expected answers, warn for the rest. */
export function failureLevel(e: unknown): FailureLevel {
  if (!(e instanceof DriveError)) return 'warn';
  return e.level ?? (EXPECTED_CODES.has(e.code) ? 'debug' : 'warn');
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
