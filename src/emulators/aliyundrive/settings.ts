// Fault knobs and limits of the Aliyundrive emulator, with their defaults, and
// the stats keys. Everything can be changed at runtime (setFaults() or
// POST /_emulator/faults). Unlike the OneDrive settings these are not all
// numbers (a boolean and an enum), so validation is done here.

export type AccountState = 'normal' | 'frozen' | 'overCapacity';

export interface AliyundriveFaults {
  /** Added before every answer (API, token, renew, download, upload part) — default 0. */
  latencyMs: number;
  /** Per download response body (0 = unlimited). */
  bandwidthBytesPerSec: number;
  /** Every Nth API call or users/info (not token/QR/download/upload/admin) answers 429 TooManyRequests — 0 = off. */
  throttleEvery: number;
  /** x-retry-after (ms) sent with those 429s. */
  retryAfterMs: number;
  /** The documented per-user limits: list 4/s, getDownloadUrl 1/s, every other API 15/s. */
  enforceRateLimits: boolean;
  /** Download responses in flight at once; one more → 403 ExceedMaxConcurrency (0 = unlimited). */
  maxConcurrentDownloads: number;
  /** Every Nth download response is cut mid-body — 0 = off. */
  cutDownloadEvery: number;
  /** expires_in of access tokens; expired → 401 AccessTokenExpired. */
  accessTokenTtlSec: number;
  /** Age at which a QR login not yet confirmed/cancelled answers QRCodeExpired (read at each poll). */
  qrCodeTtlSec: number;
  /** Cap on getDownloadUrl's expire_sec; an expired URL → 403 (OSS XML body). */
  maxLinkTtlSec: number;
  /** Lifetime of upload part URLs; expired → 403 (OSS XML body). */
  partUrlTtlSec: number;
  /** Lifetime of an upload (its upload_id) from create; past it → 404 NotFound.UploadId (see README). */
  uploadTtlSec: number;
  /** Every Nth part PUT answers 500 without storing — 0 = off. */
  failPartEvery: number;
  /** Every Nth part PUT has its connection destroyed mid-body, nothing stored — 0 = off. */
  cutPartEvery: number;
  /** Bytes the user may store (both drives and the recycle bin together). */
  quotaTotal: number;
  /** frozen → every API call 403 UserNotAllowedAccessResource; overCapacity → downloads refused. */
  accountState: AccountState;
  /** Legacy API: how long a device session lives; expired → 400 DeviceSessionSignatureInvalid. */
  deviceSessionTtlSec: number;
  /** Legacy API: create_session answers {result: false} (too many devices signed in). */
  refuseDeviceSessions: boolean;
  /** Legacy API: every Nth /v3/file/update (rename) answers 500 without renaming — 0 = off. */
  failUpdateEvery: number;
  /** Legacy API: every Nth /v2/recyclebin/trash answers 500 without trashing — 0 = off. */
  failTrashEvery: number;
}

export const TIB = 1024 ** 4;

export const DEFAULT_FAULTS: AliyundriveFaults = {
  latencyMs: 0,
  bandwidthBytesPerSec: 0,
  throttleEvery: 0,
  retryAfterMs: 1000,
  enforceRateLimits: true,
  maxConcurrentDownloads: 3,
  cutDownloadEvery: 0,
  accessTokenTtlSec: 7200,
  qrCodeTtlSec: 180,
  maxLinkTtlSec: 14400,
  partUrlTtlSec: 900,
  uploadTtlSec: 86_400,
  failPartEvery: 0,
  cutPartEvery: 0,
  quotaTotal: TIB,
  accountState: 'normal',
  deviceSessionTtlSec: 86_400,
  refuseDeviceSessions: false,
  failUpdateEvery: 0,
  failTrashEvery: 0,
};

const ACCOUNT_STATES: readonly AccountState[] = ['normal', 'frozen', 'overCapacity'];

/**
 * Current fault settings. Updates are partial and validated (unknown keys and
 * wrong types are refused) so a typo in a test fails loudly.
 */
export class FaultSettings {
  private current: AliyundriveFaults;

  constructor(initial?: Partial<AliyundriveFaults>) {
    this.current = { ...DEFAULT_FAULTS };
    if (initial) this.update(initial);
  }

  get(): Readonly<AliyundriveFaults> {
    return this.current;
  }

  update(patch: Partial<AliyundriveFaults> | Record<string, unknown>): Readonly<AliyundriveFaults> {
    const next: Record<string, unknown> = { ...this.current };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (!(k in DEFAULT_FAULTS)) throw new RangeError(`unknown setting '${k}'`);
      const kind = typeof DEFAULT_FAULTS[k as keyof AliyundriveFaults];
      if (k === 'accountState') {
        if (!ACCOUNT_STATES.includes(v as AccountState)) {
          throw new RangeError(`setting 'accountState' must be one of ${ACCOUNT_STATES.join(', ')}`);
        }
      } else if (kind === 'boolean') {
        if (typeof v !== 'boolean') throw new RangeError(`setting '${k}' must be a boolean`);
      } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new RangeError(`setting '${k}' must be a finite number >= 0`);
      }
      next[k] = v;
    }
    this.current = next as unknown as AliyundriveFaults;
    return this.current;
  }
}

/** Every stats key, so snapshots always carry them all (0 when unused). */
export const STAT_KEYS = [
  // API calls (/adrive/v1.0/...), counted on arrival
  'api',
  'driveInfo',
  'spaceInfo',
  'list',
  'get',
  'getByPath',
  'getDownloadUrl',
  'create',
  'getUploadUrl',
  'listUploadedParts',
  'complete',
  'update',
  'move',
  'copy',
  'trash',
  'delete',
  // API refusals
  'unauthorized',
  'throttled', // every 429 (throttleEvery and rate limits)
  'rateLimited', // the 429s caused by the documented per-user limits
  'frozenRefused',
  'exceedCapacity',
  'quotaExceeded',
  // rapid upload
  'preHashMatched',
  'proofRejected',
  'rapidUpload',
  // tokens
  'token',
  'tokenError',
  'renew',
  'renewError',
  // QR login and the user-info call
  'qrCode', // POST /oauth/authorize/qrcode
  'qrImage', // GET /oauth/qrcode/<sid> (the "image")
  'qrStatus', // GET /oauth/qrcode/<sid>/status
  'qrPhone', // the phone's page, GET and POST
  'userInfo', // GET /oauth/users/info
  // download host
  'download',
  'downloadBytes',
  'downloadWithAuthorization',
  'cut',
  'expiredLink',
  'badLink',
  'concurrencyRefused',
  // part upload host
  'uploadPart',
  'uploadBytes',
  'uploadWithAuthorization',
  'uploadWithContentType',
  'partFailed',
  'partCut',
  'expiredPartUrl',
  'partConflict',
  'partNotSequential',
  // legacy API (legacy-api.ts, device-sessions.ts): one key per route besides these
  'legacyApi',
  'legacyToken',
  'legacyTokenError',
  'deviceSessionCreated',
  'deviceSessionRefused', // bad signature, unknown device or expired session
  'missingHeaders',
  'refererRefused', // a legacy link fetched without the app's Referer
  'legacyUserGet',
  'legacyCreateSession',
  'legacyList',
  'legacyGet',
  'legacyDownloadUrl',
  'legacyCreate',
  'legacyGetUploadUrl',
  'legacyListUploadedParts',
  'legacyComplete',
  'legacyUpdate',
  'legacyBatch',
  'legacyTrash',
  'legacySpaceInfo',
] as const;

/** OSS: every part but the last must be at least 100 KB. */
export const MIN_PART_BYTES = 100 * 1024;
/** OSS: a part is at most 5 GB. */
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MAX_PART_NUMBER = 10_000;
/** Refresh tokens live 90 days (not a fault knob: tests cannot wait that long anyway). */
export const REFRESH_TOKEN_TTL_SEC = 90 * 24 * 3600;
