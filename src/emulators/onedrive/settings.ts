// Fault knobs and limits of the OneDrive emulator, with their defaults. They
// can all be changed at runtime (setFaults() or POST /_emulator/faults).

export interface OneDriveFaults {
  /** Added before answering every request (API, token, download, upload) — default 0. */
  latencyMs: number;
  /** Per response body of downloads (0 = unlimited). */
  bandwidthBytesPerSec: number;
  /** Every Nth Graph API call (not token, not download, not admin) answers 429 — 0 = off. */
  throttleEvery: number;
  /** The Retry-After value sent with those 429s (default 1). */
  retryAfterSec: number;
  /** Every Nth download response is cut mid-body (about half the bytes) — 0 = off. */
  cutDownloadEvery: number;
  /** Lifetime of @microsoft.graph.downloadUrl links (default 3600); expired → 401. */
  linkTtlSec: number;
  /** expires_in of access tokens (default 3600); expired → 401 InvalidAuthenticationToken. */
  accessTokenTtlSec: number;
  /** Every Nth upload fragment answers 500/503 without storing anything — 0 = off. */
  failFragmentEvery: number;
  /** Every Nth upload fragment has its connection destroyed mid-body; nothing of it is stored — 0 = off. */
  cutFragmentEvery: number;
  /** Idle lifetime of an upload session; each accepted fragment extends it (default 900). */
  uploadSessionTtlSec: number;
  /** Bytes available per drive (default 1 TiB). */
  quotaTotal: number;
  /** 1 = the signed-in user clicks "No" on the consent screen (authorize and device login); 0 = consents (default). */
  denyConsent: number;
  /** expires_in of device codes (default 900, AAD's 15 minutes). */
  deviceCodeTtlSec: number;
  /** Polling interval of device codes (default 5, as AAD). */
  deviceCodeIntervalSec: number;
  /**
   * 1 (default) = `replace` in the URL of a move/rename PATCH is ignored and a taken name answers
   * 409, as some drives do; 0 = a file may replace a file that way. Folders are never replaced.
   */
  ignoreReplaceOnMove: number;
  /** Every Nth move/rename PATCH answers 500 without changing anything — 0 = off. */
  failMoveEvery: number;
  /**
   * Delta tokens carry the value this had when they were minted; changing it (to anything)
   * makes every earlier token and page link answer 410 resyncRequired.
   */
  deltaEpoch: number;
}

export const TIB = 1024 ** 4;

export const DEFAULT_FAULTS: OneDriveFaults = {
  latencyMs: 0,
  bandwidthBytesPerSec: 0,
  throttleEvery: 0,
  retryAfterSec: 1,
  cutDownloadEvery: 0,
  linkTtlSec: 3600,
  accessTokenTtlSec: 3600,
  failFragmentEvery: 0,
  cutFragmentEvery: 0,
  uploadSessionTtlSec: 900,
  quotaTotal: TIB,
  denyConsent: 0,
  deviceCodeTtlSec: 900,
  deviceCodeIntervalSec: 5,
  ignoreReplaceOnMove: 1,
  failMoveEvery: 0,
  deltaEpoch: 0,
};

/** Every stats key, so snapshots always carry them all (0 when unused). */
export const STAT_KEYS = [
  // Graph API (counted once per request on /v1.0)
  'api',
  'unauthorized',
  'throttled',
  'drive',
  'item',
  'children',
  'content',
  'delta',
  'simpleUpload',
  'uploadSession',
  'mkdir',
  'patch',
  'moveFailed',
  'delete',
  'copy',
  'quotaExceeded',
  'site',
  'me',
  // login host
  'token',
  'tokenError',
  'authorize',
  'deviceCode',
  // the browser side of the device-code flow (/devicelogin)
  'deviceLogin',
  // download host
  'download',
  'downloadBytes',
  'downloadWithAuthorization',
  'cut',
  'expiredLink',
  'badLink',
  // upload host
  'upload',
  'uploadBytes',
  'uploadWithAuthorization',
  'uploadStatus',
  'uploadCancel',
  'fragmentFailed',
  'fragmentCut',
  // copy monitor
  'copyMonitor',
] as const;
