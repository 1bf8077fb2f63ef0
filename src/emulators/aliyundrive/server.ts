// A local Aliyundrive (alipan) Open Platform emulator backed by real folders.
// One HTTP server plays every host a client talks to:
//   POST /oauth/access_token          the OAuth host (auth.ts)
//   /oauth/authorize/qrcode, /oauth/qrcode/...  its QR login (qr-login.ts)
//   GET  /oauth/users/info            who signed in (user-info.ts)
//   /o/oauth/authorize                the phone's page for a QR login (qr-phone.ts)
//   GET  /alicloud/renewapi           the hosted "online renew API" (renew.ts)
//   POST /adrive/v1.0/...             the API host (api.ts)
//   POST /v2/account/token            the legacy API's token host (legacy-auth.ts)
//   POST /v2/..., /v3/..., /users/... the legacy API (legacy-api.ts, device-sessions.ts)
//   GET  /_oss/dl/...                 pre-signed download URLs (download.ts)
//   PUT  /_oss/up/...                 pre-signed upload part URLs (uploads.ts)
//   /_emulator/...                    admin endpoints for tests (admin.ts)
//
//   const emu = await startAliyundriveEmulator({ root: '/tmp/drive' });
//   // API base: emu.url (in place of https://openapi.alipan.com)
//   await emu.close();
//
// `root` backs the resource drive, `backupRoot` the backup drive (default: an
// empty temp folder made here and removed on close).

import { createHash } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import type http from 'node:http';
import { listenHttp } from '../common/listen.js';
import os from 'node:os';
import path from 'node:path';

import { EveryN, sleep } from '../common/faults.js';
import { BodyTooLargeError, sendEmpty, splitTarget } from '../common/http.js';
import { Stats } from '../common/stats.js';
import { ADMIN_PREFIX, handleAdmin } from './admin.js';
import { API_PREFIX, handleApi } from './api.js';
import { AuthState, handleTokenRequest } from './auth.js';
import type { AliContext } from './context.js';
import { DOWNLOAD_PREFIX, handleDownload } from './download.js';
import { AliError, OssError, sendAliError, sendOssError } from './errors.js';
import { DeviceSessions } from './device-sessions.js';
import { Sha1Cache } from './hashes.js';
import { LegacyAuth, LEGACY_TOKEN_PATH, handleLegacyToken } from './legacy-auth.js';
import { handleLegacyApi, isLegacyPath } from './legacy-api.js';
import { Usage } from './quota.js';
import { RateLimiter } from './ratelimit.js';
import { handleQrCode, handleQrCreate, QR_CREATE_PATH, QR_PREFIX } from './qr-login.js';
import { handlePhone, PHONE_PATH } from './qr-phone.js';
import { QrSessions } from './qr-sessions.js';
import { handleRenew, RENEW_PATH } from './renew.js';
import { type AliyundriveFaults, FaultSettings, STAT_KEYS } from './settings.js';
import { UrlSigner } from './signer.js';
import { AliDrive } from './store.js';
import { UploadManager, UPLOAD_PREFIX } from './uploads.js';
import { copyFromShare, handleShareAdmin, handleShareApi, handleShareBatch, isShareAdminRoute, isShareBatch, isShareRoute, SHARE_STAT_KEYS } from './share-api.js';
import { ShareRegistry, type ShareSettings } from './shares.js';
import { handleUserInfo, USER_INFO_PATH } from './user-info.js';

export type { AccountState, AliyundriveFaults } from './settings.js';
export { DEFAULT_FAULTS, STAT_KEYS } from './settings.js';

export interface AliyundriveEmulatorOptions {
  /** Folder backing the resource drive. */
  root: string;
  /** Folder backing the backup drive (default: a fresh temp folder, removed on close). */
  backupRoot?: string;
  /** Which drive default_drive_id names (default 'resource'). */
  defaultDrive?: 'resource' | 'backup';
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 'drivemount-aliyun-emulator'. */
  clientId?: string;
  /** Default 'aliyun-emulator-secret'. */
  clientSecret?: string;
  /** If given, a valid refresh token from the start (else one is minted). */
  initialRefreshToken?: string;
  faults?: Partial<AliyundriveFaults>;
  /** Folder backing another user's drive whose root is shared by link (share-api.ts); no shares without it. */
  shareRoot?: string;
  /** The password (extraction code) of that share. */
  sharePassword?: string;
  share?: Partial<ShareSettings>;
  /** Which kind of refresh token `refreshToken` and /_emulator/refresh-token give: Open (default) or legacy. */
  tokenKind?: 'open' | 'legacy';
}

export interface AliyundriveEmulator {
  /** e.g. http://127.0.0.1:41234 — the OAuth host, the API host and the storage host. */
  url: string;
  port: number;
  /** The initial valid refresh token (of the kind `tokenKind` names). */
  refreshToken: string;
  /** A valid legacy (mobile app) refresh token, whatever `tokenKind`. */
  legacyRefreshToken: string;
  clientId: string;
  clientSecret: string;
  /** The "online renew API" endpoint on this same server. */
  renewApiUrl: string;
  driveIds: { default: string; resource: string; backup: string };
  setFaults(f: Partial<AliyundriveFaults>): void;
  /** With shareRoot: the share of its root, and the sharer's drive id. */
  shareId?: string;
  sharePassword?: string;
  shareDriveId?: string;
  shares?: ShareRegistry;
  /** The `/file/copy` sub-request with share_id, as a batch route runs it (the bearer already admitted). */
  shareCopy?(shareToken: string | undefined, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  stats(): Record<string, number>;
  resetStats(): void;
  /** Closes the server and all open sockets promptly, and removes staging areas. */
  close(): Promise<void>;
}

const TOKEN_PATH = '/oauth/access_token';
/** Admin: the service forgets every device session (all devices signed out). */
const DROP_SESSIONS_PATH = '/_emulator/device-sessions/drop';

function checkedDir(folder: string): string {
  const real = realpathSync(folder);
  if (!statSync(real).isDirectory()) throw new Error(`${folder} is not a directory`);
  return real;
}

// Ids are derived from the backing folders so they survive restarts of the
// emulator on the same folders (a driver may have them persisted). Drive ids
// are decimal strings, user ids 32 hex digits, as on the service.
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const driveIdFor = (kind: string, root: string): string => String(100_000_000 + (digest(`${kind}:${root}`).readUInt32BE(0) % 900_000_000));

export async function startAliyundriveEmulator(opts: AliyundriveEmulatorOptions): Promise<AliyundriveEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const clientId = opts.clientId ?? 'drivemount-aliyun-emulator';
  const clientSecret = opts.clientSecret ?? 'aliyun-emulator-secret';
  const faults = new FaultSettings(opts.faults);

  const resourceRoot = checkedDir(opts.root);
  const ownBackup = opts.backupRoot === undefined ? mkdtempSync(path.join(os.tmpdir(), 'drivemount-aliyun-backup-')) : null;
  const backupRoot = checkedDir(opts.backupRoot ?? ownBackup!);
  if (backupRoot === resourceRoot) throw new Error('root and backupRoot must be different folders');
  const resource = new AliDrive(resourceRoot, driveIdFor('resource', resourceRoot));
  let backupId = driveIdFor('backup', backupRoot);
  if (backupId === resource.driveId) backupId = String(Number(backupId) + 1);
  const backup = new AliDrive(backupRoot, backupId);
  const userId = digest(`user:${resourceRoot}`).subarray(0, 16).toString('hex');

  const stats = new Stats([...STAT_KEYS, ...SHARE_STAT_KEYS]);
  const auth = new AuthState({ clientId, clientSecret, userId, accessTokenTtlSec: () => faults.get().accessTokenTtlSec });
  const legacyAuth = new LegacyAuth(() => faults.get().accessTokenTtlSec);
  auth.onRevoke(() => legacyAuth.revokeAll());
  const legacyTokens = opts.tokenKind === 'legacy';
  const openRefreshToken = auth.mintRefreshToken(legacyTokens ? undefined : opts.initialRefreshToken);
  const legacyRefreshToken = legacyAuth.mint(legacyTokens ? opts.initialRefreshToken : undefined);
  const refreshToken = legacyTokens ? legacyRefreshToken : openRefreshToken;
  const ctx: AliContext = {
    url: '',
    userId,
    faults,
    stats,
    auth,
    legacy: {
      auth: legacyAuth,
      sessions: new DeviceSessions({
        ttlSec: () => faults.get().deviceSessionTtlSec,
        refuse: () => faults.get().refuseDeviceSessions,
        isLiveRefreshToken: (t) => legacyAuth.isLiveRefreshToken(t),
        count: (k) => stats.inc(k),
      }),
    },
    qr: new QrSessions(auth, () => faults.get().qrCodeTtlSec),
    signer: new UrlSigner(),
    hashes: new Sha1Cache(),
    rates: new RateLimiter(),
    usage: new Usage(() => ctx),
    drives: { resource, backup, default: opts.defaultDrive === 'backup' ? backup : resource },
    drivesById: new Map([
      [resource.driveId, resource],
      [backup.driveId, backup],
    ]),
    counters: {
      throttle: new EveryN(() => faults.get().throttleEvery),
      cutDownload: new EveryN(() => faults.get().cutDownloadEvery),
      failPart: new EveryN(() => faults.get().failPartEvery),
      cutPart: new EveryN(() => faults.get().cutPartEvery),
    },
    downloadsInFlight: { n: 0 },
    // Set right below: it needs the finished context.
    uploads: undefined as unknown as UploadManager,
  };
  ctx.uploads = new UploadManager(ctx);
  const shares = shareRegistry(opts, [resource.driveId, backup.driveId]);
  const share = shares?.create('root', opts.sharePassword);
  const setFaults = (f: Partial<AliyundriveFaults>): void => {
    faults.update(f);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { path: rawPath, query } = splitTarget(req.url);
    try {
      if (shares && isShareAdminRoute(rawPath)) return await handleShareAdmin(shares, req, res, rawPath);
      if (rawPath === DROP_SESSIONS_PATH) {
        ctx.legacy.sessions.drop();
        return sendEmpty(res, 204);
      }
      if (rawPath.startsWith(ADMIN_PREFIX)) return await handleAdmin(ctx, req, res, rawPath, setFaults, legacyTokens ? () => legacyAuth.mint() : undefined);
      await sleep(faults.get().latencyMs);
      if (shares && isShareRoute(rawPath)) return await handleShareApi(ctx, shares, req, res, rawPath, query);
      if (shares && isShareBatch(rawPath, req)) return await handleShareBatch(ctx, shares, req, res);
      if (rawPath.startsWith(API_PREFIX)) return await handleApi(ctx, req, res, rawPath);
      if (rawPath === LEGACY_TOKEN_PATH) return await handleLegacyToken(ctx, req, res);
      if (isLegacyPath(rawPath)) return await handleLegacyApi(ctx, req, res, rawPath);
      if (rawPath.startsWith(DOWNLOAD_PREFIX)) return await handleDownload(ctx, req, res, rawPath, query);
      if (rawPath.startsWith(UPLOAD_PREFIX)) return await ctx.uploads.handlePart(req, res, rawPath, query);
      if (rawPath === TOKEN_PATH) {
        stats.inc('token');
        try {
          await handleTokenRequest(auth, req, res);
        } catch (e) {
          stats.inc('tokenError');
          throw e;
        }
        return;
      }
      if (rawPath === QR_CREATE_PATH) return await handleQrCreate(ctx, req, res);
      if (rawPath.startsWith(QR_PREFIX)) return handleQrCode(ctx, req, res, rawPath);
      if (rawPath === PHONE_PATH) return await handlePhone(ctx, req, res, query);
      if (rawPath === USER_INFO_PATH) return handleUserInfo(ctx, req, res);
      if (rawPath === RENEW_PATH) {
        stats.inc('renew');
        if (!handleRenew(auth, req, res, query)) stats.inc('renewError');
        return;
      }
      throw new AliError(404, 'NotFound', `Invalid request path '${rawPath}'.`);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
      } else if (e instanceof AliError) {
        sendAliError(res, e);
      } else if (e instanceof OssError) {
        sendOssError(res, e);
      } else if (e instanceof BodyTooLargeError) {
        sendAliError(res, new AliError(413, 'InvalidParameter', e.message));
      } else {
        console.error('[aliyun-emulator]', e);
        sendAliError(res, new AliError(500, 'InternalError', 'The request has been failed due to some unknown error.'));
      }
    }
  };

  const listening = await listenHttp(handle, host, opts.port ?? 0);
  const port = listening.port;
  ctx.url = listening.url;

  let closing: Promise<void> | null = null;
  return {
    url: ctx.url,
    port,
    refreshToken,
    legacyRefreshToken,
    clientId,
    clientSecret,
    renewApiUrl: `${ctx.url}${RENEW_PATH}`,
    driveIds: { default: ctx.drives.default.driveId, resource: resource.driveId, backup: backup.driveId },
    setFaults,
    shareId: share?.id,
    sharePassword: share?.password,
    shareDriveId: shares?.drive.driveId,
    shares,
    shareCopy: shares ? (t, b) => copyFromShare(ctx, shares, t, b) : undefined,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () => {
      closing ??= (async () => {
        await listening.stop();
        await ctx.uploads.close();
        await resource.staging.dispose();
        await backup.staging.dispose();
        await shares?.drive.staging.dispose();
        if (ownBackup) rmSync(ownBackup, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** The sharer's drive: another user's, with its own id, never among the caller's drives. */
function shareRegistry(opts: AliyundriveEmulatorOptions, taken: string[]): ShareRegistry | undefined {
  if (opts.shareRoot === undefined) return undefined;
  const root = checkedDir(opts.shareRoot);
  let id = driveIdFor('share', root);
  while (taken.includes(id)) id = String(Number(id) + 1);
  return new ShareRegistry(new AliDrive(root, id), opts.share);
}
