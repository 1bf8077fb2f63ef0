import { DriveError, type ErrnoCode } from '../../util/errors.js';

/**
 * What the local filesystem holding the staged copies may answer that a program should see as
 * it is: the cache directory is full or over quota, or the file is larger than that filesystem
 * allows. Anything else is EIO.
 */
const PASSED_ON: ReadonlySet<string> = new Set<ErrnoCode>(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** A failure of the staging file (write, truncate, open, fetch into it) as the errno the program gets. */
export function stagingError(e: unknown, path: string, stagingPath: string, what: string): DriveError {
  if (e instanceof DriveError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const message = `${path}: ${what} the staged copy ${stagingPath} failed: ${(e as Error).message}`;
  if (code && PASSED_ON.has(code)) {
    const hint = code === 'EFBIG' ? 'the cache directory\'s filesystem allows no larger file' : 'the cache directory has no room; free space there or choose another with --cache-dir';
    return new DriveError(code as ErrnoCode, `${message} (${hint})`, { cause: e });
  }
  return new DriveError('EIO', message, { cause: e });
}
