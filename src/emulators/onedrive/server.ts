// A local Microsoft Graph (OneDrive / SharePoint) emulator backed by real
// folders. One HTTP server plays every host a client talks to:
// - the login host: /{tenant}/oauth2/v2.0/token, .../authorize (the signed-in
//   user consents at once, authorize.ts) and .../devicecode (device-code.ts);
// - the device-login page a person opens in a browser (/devicelogin);
// - the Graph host (/v1.0/...): drives and items, /me, /me/drives, and
//   SharePoint sites by id or by address (sites.ts);
// - the download host (/_dl/...), the upload host (/_up/...) and the
//   copy-monitor host (/_monitor/...);
// plus admin endpoints (/_emulator/...) for tests.
//
//   const emu = await startOneDriveEmulator({ root: '/tmp/drive' });
//   // token URL: `${emu.url}/common/oauth2/v2.0/token`, Graph: `${emu.url}/v1.0`
//   await emu.close();

import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import type http from 'node:http';
import { listenHttp } from '../common/listen.js';

import { EveryN, NumericSettings, sleep } from '../common/faults.js';
import { BodyTooLargeError, splitTarget } from '../common/http.js';
import { Stats } from '../common/stats.js';
import { ADMIN_PREFIX, handleAdmin } from './admin.js';
import { AuthState, handleTokenRequest } from './auth.js';
import { AUTHORIZE_PATH, handleAuthorize } from './authorize.js';
import type { EmulatorContext } from './context.js';
import { CopyMonitor, MONITOR_PREFIX } from './copy.js';
import { DEVICE_CODE_PATH, DeviceCodes, handleDeviceCodeRequest } from './device-code.js';
import { DEVICE_LOGIN_PATH, handleDeviceLogin } from './device-login.js';
import { DOWNLOAD_PREFIX, handleDownload, LinkSigner } from './download.js';
import { GraphError, sendGraphError } from './errors.js';
import { handleGraph } from './graph.js';
import { HashCache } from './hashes.js';
import { graphWrites } from './mutations.js';
import { DEFAULT_FAULTS, STAT_KEYS, type OneDriveFaults } from './settings.js';
import { type Site, siteIdentity, type SiteOption, siteRoot } from './sites.js';
import { DriveStore } from './store.js';
import { UploadManager, UPLOAD_PREFIX } from './uploads.js';

export type { OneDriveFaults } from './settings.js';
export { DEFAULT_FAULTS, STAT_KEYS } from './settings.js';
export type { SiteOption } from './sites.js';
export { REGISTERED_REDIRECT_URI } from './authorize.js';

export interface OneDriveEmulatorOptions {
  /** Folder backing the user's own drive (/me/drive). */
  root: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 'drivemount-emulator'. */
  clientId?: string;
  /** Default 'emulator-secret'. */
  clientSecret?: string;
  /** If given, a valid refresh token from the start (else one is minted). */
  initialRefreshToken?: string;
  /**
   * siteId → folder (or folder plus the site's address and name), each a
   * separate drive: /sites/{siteId}/drive and /drives/{itsDriveId}. The address
   * defaults to https://contoso.sharepoint.com/sites/{siteId, other than
   * [A-Za-z0-9_-] turned into '-'}, the display name to the siteId.
   */
  sites?: Record<string, SiteOption>;
  /** Bytes, default 1 TiB (same as faults.quotaTotal, which wins if both are given). */
  quotaTotal?: number;
  faults?: Partial<OneDriveFaults>;
}

export interface OneDriveEmulator {
  /** e.g. http://127.0.0.1:41234 — both the "login host" and the "graph host". */
  url: string;
  port: number;
  /** The initial valid refresh token. */
  refreshToken: string;
  clientId: string;
  clientSecret: string;
  /** Id of /me/drive. */
  driveId: string;
  /** siteId → its library's drive id and the site's address (for GET /sites/{host}:/{path}). */
  sites: Record<string, { driveId: string; webUrl: string }>;
  setFaults(f: Partial<OneDriveFaults>): void;
  stats(): Record<string, number>;
  resetStats(): void;
  /** Closes the server and all open sockets promptly. */
  close(): Promise<void>;
}

const TOKEN_PATH = /^\/[^/]+\/oauth2\/v2\.0\/token\/?$/i;

function checkedDir(folder: string): string {
  const real = realpathSync(folder);
  if (!statSync(real).isDirectory()) throw new Error(`${folder} is not a directory`);
  return real;
}

// Drive ids are derived from the backing folder so they survive restarts of
// the emulator on the same folder (a driver may have them persisted).
const personalDriveId = (root: string): string =>
  createHash('sha256').update(`me:${root}`).digest('hex').slice(0, 16);
const libraryDriveId = (siteId: string, root: string): string =>
  'b!' + createHash('sha512').update(`site:${siteId}:${root}`).digest().subarray(0, 48).toString('base64url');

export async function startOneDriveEmulator(opts: OneDriveEmulatorOptions): Promise<OneDriveEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const clientId = opts.clientId ?? 'drivemount-emulator';
  const clientSecret = opts.clientSecret ?? 'emulator-secret';
  const faults = new NumericSettings<OneDriveFaults>(DEFAULT_FAULTS, {
    ...(opts.quotaTotal !== undefined ? { quotaTotal: opts.quotaTotal } : {}),
    ...opts.faults,
  });

  const meRoot = checkedDir(opts.root);
  const me = new DriveStore({ root: meRoot, driveId: personalDriveId(meRoot), driveType: 'personal' });
  const drivesById = new Map<string, DriveStore>([[me.driveId, me]]);
  const drivesBySite = new Map<string, DriveStore>();
  const sites = new Map<string, Site>();
  for (const [siteId, opt] of Object.entries(opts.sites ?? {})) {
    const root = checkedDir(siteRoot(opt));
    const store = new DriveStore({ root, driveId: libraryDriveId(siteId, root), driveType: 'documentLibrary', siteId });
    drivesById.set(store.driveId, store);
    drivesBySite.set(siteId, store);
    sites.set(siteId, { id: siteId, ...siteIdentity(siteId, opt), store });
  }

  const auth = new AuthState({ clientId, clientSecret, accessTokenTtlSec: () => faults.get().accessTokenTtlSec });
  const refreshToken = auth.mintRefreshToken(opts.initialRefreshToken);
  const deviceCodes = new DeviceCodes(auth, () => ({
    ttlSec: faults.get().deviceCodeTtlSec,
    intervalSec: faults.get().deviceCodeIntervalSec,
  }));
  const ctx: EmulatorContext = {
    url: '',
    faults,
    stats: new Stats(STAT_KEYS),
    auth,
    links: new LinkSigner(),
    hashes: new HashCache(),
    me,
    drivesById,
    drivesBySite,
    sites,
    deviceCodes,
    counters: {
      throttle: new EveryN(() => faults.get().throttleEvery),
      cutDownload: new EveryN(() => faults.get().cutDownloadEvery),
      failFragment: new EveryN(() => faults.get().failFragmentEvery),
      cutFragment: new EveryN(() => faults.get().cutFragmentEvery),
      failMove: new EveryN(() => faults.get().failMoveEvery),
    },
    // Set right below: both need the finished context.
    uploads: undefined as unknown as UploadManager,
    copies: undefined as unknown as CopyMonitor,
  };
  ctx.uploads = new UploadManager(ctx);
  ctx.copies = new CopyMonitor(ctx);
  const setFaults = (f: Partial<OneDriveFaults>): void => {
    faults.update(f);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { path: rawPath, query } = splitTarget(req.url);
    try {
      if (rawPath.startsWith(ADMIN_PREFIX)) return await handleAdmin(ctx, req, res, rawPath, setFaults);
      await sleep(faults.get().latencyMs);
      if (rawPath.startsWith(DOWNLOAD_PREFIX)) {
        return await handleDownload(ctx, req, res, rawPath.slice(DOWNLOAD_PREFIX.length));
      }
      if (rawPath.startsWith(UPLOAD_PREFIX)) {
        return await ctx.uploads.handle(req, res, rawPath.slice(UPLOAD_PREFIX.length));
      }
      if (rawPath.startsWith(MONITOR_PREFIX)) return ctx.copies.handle(req, res, rawPath.slice(MONITOR_PREFIX.length));
      if (TOKEN_PATH.test(rawPath)) {
        ctx.stats.inc('token');
        if (!(await handleTokenRequest(auth, req, res))) ctx.stats.inc('tokenError');
        return;
      }
      if (AUTHORIZE_PATH.test(rawPath)) return handleAuthorize(ctx, req, res, query);
      if (DEVICE_CODE_PATH.test(rawPath)) return await handleDeviceCodeRequest(ctx, req, res);
      if (DEVICE_LOGIN_PATH.test(rawPath)) return await handleDeviceLogin(ctx, req, res, query);
      if (rawPath === '/v1.0' || rawPath.startsWith('/v1.0/')) {
        return await handleGraph(ctx, req, res, rawPath, query, graphWrites);
      }
      throw new GraphError(400, 'BadRequest', `Invalid request path '${rawPath}'.`);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
      } else if (e instanceof GraphError) {
        sendGraphError(res, e);
      } else if (e instanceof BodyTooLargeError) {
        sendGraphError(res, new GraphError(413, 'invalidRequest', e.message));
      } else {
        console.error('[onedrive-emulator]', e);
        sendGraphError(res, new GraphError(500, 'generalException', 'An unspecified error has occurred.'));
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
    clientId,
    clientSecret,
    driveId: me.driveId,
    sites: Object.fromEntries([...sites].map(([id, site]) => [id, { driveId: site.store.driveId, webUrl: site.webUrl }])),
    setFaults,
    stats: () => ctx.stats.snapshot(),
    resetStats: () => ctx.stats.reset(),
    close: () => {
      closing ??= (async () => {
        await listening.stop();
        await ctx.copies.close();
        await ctx.uploads.close();
        for (const d of drivesById.values()) await d.staging.dispose();
      })();
      return closing;
    },
  };
}
