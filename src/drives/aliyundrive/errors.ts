import { HttpError, httpToDriveError } from '../../http/http-error.js';
import { DriveError, type ErrnoCode } from '../../util/errors.js';

/** Service error codes → errno, with the explanation users need for the two account states (seed 004). */
const CODES: Record<string, { errno: ErrnoCode; why?: string }> = {
  'NotFound.File': { errno: 'ENOENT' },
  'NotFound.FileId': { errno: 'ENOENT' },
  'NotFound.UploadId': { errno: 'EIO' },
  ForbiddenFileInTheRecycleBin: { errno: 'ENOENT' },
  'QuotaExhausted.Drive': { errno: 'ENOSPC', why: 'the drive is full' },
  ExceedCapacityForbidden: {
    errno: 'EACCES',
    why: 'the account is over its capacity: downloads and playback are blocked until space is freed or the plan is enlarged',
  },
  UserNotAllowedAccessResource: { errno: 'EACCES', why: 'the account is frozen (for example after public sharing); only Aliyundrive support can lift it' },
  UserNotAllowedAccessDrive: { errno: 'EACCES', why: 'this drive is not accessible to the account' },
  'AlreadyExist.File': { errno: 'EEXIST' },
  PermissionDenied: { errno: 'EACCES' },
  // The legacy API's device session, refused again after registering anew.
  DeviceSessionSignatureInvalid: { errno: 'EACCES', why: 'device session refused' },
  UserDeviceOffline: { errno: 'EACCES', why: 'device session refused (signed out)' },
};

export function aliyundriveError(e: unknown, what: string): DriveError {
  if (e instanceof DriveError) return e;
  if (e instanceof HttpError) {
    const code = e.serviceCode ?? '';
    const known = CODES[code] ?? (code.startsWith('InvalidParameter') ? { errno: 'EINVAL' as const } : undefined);
    if (known) return new DriveError(known.errno, `${what}: ${code}${known.why ? ` — ${known.why}` : ''}`, { status: e.status, cause: e });
    return httpToDriveError(e, what);
  }
  return new DriveError('EIO', `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

export function serviceCode(e: unknown): string | undefined {
  return e instanceof HttpError ? e.serviceCode : undefined;
}

/**
 * An access token the service no longer accepts: known by its code at any status (the facts
 * name the codes, and not every answer carries 401), or a bare 401 without a code.
 */
export function isRejectedAccessToken(e: unknown): boolean {
  if (!(e instanceof HttpError)) return false;
  if (e.serviceCode === 'AccessTokenInvalid' || e.serviceCode === 'AccessTokenExpired') return true;
  return e.status === 401 && !e.serviceCode;
}
