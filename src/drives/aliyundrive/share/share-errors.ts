import { HttpError } from '../../../http/http-error.js';
import { ConfigError, DriveError } from '../../../util/errors.js';
import { aliyundriveError } from '../errors.js';

/** Why the service refuses the share itself, by code (the statuses vary; the codes are what clients key on). */
const SHARE_REFUSALS: Record<string, string> = {
  'InvalidResource.SharePwd': 'the share password is wrong or missing (set "sharePassword" to the extraction code)',
  'ShareLink.Cancelled': 'the share link was cancelled by its owner',
  'ShareLink.Expired': 'the share link has expired',
  'ShareLink.Forbidden': 'the share link is blocked by the service',
  'NotFound.ShareLink': 'no share has this id (check "shareId": the part after /s/ in the link)',
};

/**
 * The share itself refused us. Before mounting it is a configuration problem (exit code 2);
 * once mounted nothing more can be read (mountedRefusal).
 */
export class ShareRefused extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'ShareRefused';
  }
}

/** A ShareRefused when the answer is one of the share refusals, else undefined. */
export function shareRefusal(e: unknown, remote: string, shareId: string): ShareRefused | undefined {
  if (!(e instanceof HttpError)) return undefined;
  const why = SHARE_REFUSALS[e.serviceCode ?? ''];
  return why ? new ShareRefused(`remote "${remote}": share ${shareId}: ${why} (${e.serviceCode})`) : undefined;
}

/** A refusal met while mounted: the mount cannot go on. */
export function mountedRefusal(e: ShareRefused): DriveError {
  return new DriveError('EACCES', e.message, { fatal: true, cause: e });
}

/**
 * The service will not hand out share download links: the code it answers today
 * (ParamFlowException), or 429s that outlast the retries. `why` names which, for the log.
 */
export class LinksRefused extends Error {
  constructor(readonly why: string, cause?: unknown) {
    super(`the service refuses share downloads (${why})`, { cause });
    this.name = 'LinksRefused';
  }
}

/** The share download-link call's persistent throttling answer (the service retired share downloads). */
export function isParamFlow(e: unknown): boolean {
  return e instanceof HttpError && e.serviceCode === 'ParamFlowException';
}

/** The share token is dead (expired, or the service dropped it): fetch another and replay once. Known by its code at any status. */
export function isShareTokenInvalid(e: unknown): boolean {
  return e instanceof HttpError && e.serviceCode === 'ShareLinkTokenInvalid';
}

/** Any failure of a share call as a DriveError: refusals of the share are fatal EACCES. */
export function shareError(e: unknown, what: string, remote: string, shareId: string): DriveError {
  if (e instanceof ShareRefused) return mountedRefusal(e);
  const refused = shareRefusal(e, remote, shareId);
  if (refused) return mountedRefusal(refused);
  return aliyundriveError(e, what);
}
