// Fault knobs of the share emulator, with their defaults; all changeable at runtime
// (setFaults() or POST /_emulator/faults).

export interface ShareFaults {
  /** Added before answering every request (not admin) — default 0. */
  latencyMs: number;
  /** Per download body (0 = unlimited). */
  bandwidthBytesPerSec: number;
  /** Every Nth listing or download request answers 429 — 0 = off. */
  throttleEvery: number;
  /** Retry-After of those 429s, in seconds (default 1). */
  retryAfterSec: number;
  /** Every Nth download is cut mid-body (about half the bytes) — 0 = off. */
  cutDownloadEvery: number;
  /** Lifetime of a FedAuth cookie (default 1800); an expired one gets the sign-in page. */
  cookieTtlSec: number;
  /** Rows per listing page (default 30, the row limit of the library's default view). */
  pageSize: number;
  /** 1 = the owner stopped sharing: the link answers 404 and every cookie is refused. */
  revoked: number;
  /** 1 = the link grants edit rights: the page context offers a drive URL and token. */
  editable: number;
  /** Lifetime of the page context's drive token (default 3600); expired → 401 InvalidAuthenticationToken. */
  driveTokenTtlSec: number;
  /** Idle lifetime of an upload session (default 900). */
  uploadSessionTtlSec: number;
  /**
   * 1 = download.aspx is served only under another web (`/sites/contoso-files`), which the page's
   * templateUrl names and nothing else does: a client that guesses the download base from the
   * redirect gets 404s.
   */
  templateElsewhere: number;
}

export const DEFAULT_FAULTS: ShareFaults = {
  latencyMs: 0,
  bandwidthBytesPerSec: 0,
  throttleEvery: 0,
  retryAfterSec: 1,
  cutDownloadEvery: 0,
  cookieTtlSec: 1800,
  pageSize: 30,
  revoked: 0,
  editable: 0,
  driveTokenTtlSec: 3600,
  uploadSessionTtlSec: 900,
  templateElsewhere: 0,
};

/** Every stats key, so snapshots always carry them all (0 when unused). */
export const STAT_KEYS = [
  // the share link and its password form
  'shareLink',
  'passwordPage',
  'passwordPost',
  'wrongPassword',
  'cookieIssued',
  // the folder page (page context)
  'page',
  'pageSignIn',
  // listing calls (counted once per request)
  'api',
  'graphql',
  'renderList',
  'expiredCookie',
  'noCookie',
  'throttled',
  // download.aspx
  'download',
  'downloadBytes',
  'downloadSignInPage',
  'cut',
  // the drive of a share with edit rights
  'driveApi',
  'driveTokenRefused',
  'simpleUpload',
  'uploadSession',
  'uploadFragment',
  'mkdir',
  'patch',
  'delete',
] as const;
