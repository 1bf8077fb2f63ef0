import { HttpError, httpToDriveError } from '../../http/http-error.js';
import { DriveError, type ErrnoCode } from '../../util/errors.js';

/** Graph's error codes that say more than the status does. */
const GRAPH_CODE_ERRNO: Record<string, ErrnoCode> = {
  itemNotFound: 'ENOENT',
  accessDenied: 'EACCES',
  quotaLimitReached: 'ENOSPC',
  insufficientStorage: 'ENOSPC',
  nameAlreadyExists: 'EEXIST',
  pathIsTooLong: 'ENAMETOOLONG',
  fileTooLarge: 'EFBIG',
  resourceModified: 'EAGAIN',
  notAllowed: 'EPERM',
};

export function graphError(e: unknown, what: string): DriveError {
  if (e instanceof DriveError) return e;
  if (e instanceof HttpError) {
    const code = e.serviceCode && GRAPH_CODE_ERRNO[e.serviceCode];
    if (code) return new DriveError(code, `${what}: ${e.serviceCode} (HTTP ${e.status})`, { status: e.status, cause: e });
    return httpToDriveError(e, what);
  }
  return new DriveError('EIO', `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
