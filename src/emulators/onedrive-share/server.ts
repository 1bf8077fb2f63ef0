// A local emulator of a OneDrive for work or school share link, backed by a real folder (the
// shared folder). One HTTP server plays the tenant's `-my.sharepoint.com` host:
// - the share link `/:f:/g/personal/{user}/{token}?e=…`: a redirect setting the FedAuth cookie,
//   or (with a password) the password form, posted to `…/_layouts/15/guestaccess.aspx`;
// - the folder page `…/_layouts/15/onedrive.aspx?id=…` (the page context);
// - the listing routes (`…/_api/v2.1/graphql`, `…/_api/web/GetListUsingPath(…)/RenderListDataAsStream`);
// - `…/_layouts/15/download.aspx?UniqueId=…` with Range;
// plus the admin endpoints (/_emulator/...) every emulator has. README.md lists its strict choices.

import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import type http from 'node:http';
import { handleAdmin, ADMIN_PREFIX } from '../common/admin.js';
import { EveryN, NumericSettings, sleep } from '../common/faults.js';
import { BodyTooLargeError, readBody, readJson, splitTarget } from '../common/http.js';
import { listenHttp } from '../common/listen.js';
import { Stats } from '../common/stats.js';
import { CookieJarServer } from './cookies.js';
import { handleDownload } from './download.js';
import { ShareApiError, accessDenied, badRequest, methodNotAllowed, sendShareError } from './errors.js';
import { ShareTree } from './items.js';
import { Listing } from './listing.js';
import { ShareDriveApi } from './drive-api.js';
import { sendHtml, sendLinkGone, sendPasswordForm, sendSignInPage } from './pages.js';
import { DEFAULT_FAULTS, STAT_KEYS, type ShareFaults } from './settings.js';

export type { ShareFaults } from './settings.js';
export { DEFAULT_FAULTS, STAT_KEYS } from './settings.js';

/** The owner of the emulated share and where the shared folder sits in their OneDrive. */
export const SHARE_OWNER = 'jdoe_contoso_com';
const WEB = `/personal/${SHARE_OWNER}`;
const LIBRARY = `${WEB}/Documents`;
export const SHARED_FOLDER = `${LIBRARY}/Shared Team`;
const SHARE_TOKEN = 'EsEgHtGOWbJImxop6tF15FIBIH-ihrjuDclbrbmwWfY_RA';
const SHARE_PATH = `/:f:/g/personal/${SHARE_OWNER}/${SHARE_TOKEN}`;
const LAYOUTS = `${WEB}/_layouts/15`;
/** Where download.aspx lives instead under the `templateElsewhere` knob. */
const OTHER_LAYOUTS = '/sites/contoso-files/_layouts/15';
const NEXT_PAGE_PATH = `${WEB}/_api/web/GetListUsingPath(DecodedUrl=@a1)/RenderListDataAsStream`;
/** The drive a share with edit rights offers (its page context names it), and its upload host. */
const DRIVE_PATH = `${WEB}/_api/v2.0/drives/b!share`;
const UPLOAD_PREFIX = '/_upload/';

export interface ShareEmulatorOptions {
  /** The shared folder. */
  root: string;
  /** The link's password; none: the link opens with a redirect. */
  password?: string;
  port?: number;
  host?: string;
  faults?: Partial<ShareFaults>;
}

export interface ShareEmulator {
  url: string;
  port: number;
  /** The share link, as its owner would send it. */
  shareUrl: string;
  password?: string;
  setFaults(f: Partial<ShareFaults>): void;
  stats(): Record<string, number>;
  resetStats(): void;
  close(): Promise<void>;
}

export async function startShareEmulator(opts: ShareEmulatorOptions): Promise<ShareEmulator> {
  const root = realpathSync(opts.root);
  if (!statSync(root).isDirectory()) throw new Error(`${opts.root} is not a directory`);
  const faults = new NumericSettings<ShareFaults>(DEFAULT_FAULTS, opts.faults);
  const stats = new Stats(STAT_KEYS);
  const cookies = new CookieJarServer(() => faults.get().cookieTtlSec, () => faults.get().revoked > 0);
  const tree = new ShareTree(root, SHARED_FOLDER);
  let base = '';
  const listing = new Listing(tree, LIBRARY, () => faults.get().pageSize, () => `${base}${WEB}`);
  const throttle = new EveryN(() => faults.get().throttleEvery);
  const driveApi = new ShareDriveApi(tree, SHARED_FOLDER.slice(LIBRARY.length), faults, stats, () => `${base}${UPLOAD_PREFIX.slice(0, -1)}`, throttle);
  const cutDownload = new EveryN(() => faults.get().cutDownloadEvery);
  /** __VIEWSTATE → its __EVENTVALIDATION, for forms handed out. */
  const forms = new Map<string, string>();
  const downloadLayouts = () => (faults.get().templateElsewhere > 0 ? OTHER_LAYOUTS : LAYOUTS);
  const location = () => `${base}${LAYOUTS}/onedrive.aspx?id=${encodeURIComponent(SHARED_FOLDER)}&ga=1`;

  const grant = (res: http.ServerResponse): void => {
    stats.inc('cookieIssued');
    res.writeHead(302, { Location: location(), 'Set-Cookie': cookies.issue(), 'Content-Length': 0 });
    res.end();
  };

  const shareLink = (res: http.ServerResponse, wrong = false): void => {
    if (opts.password === undefined) return grant(res);
    stats.inc('passwordPage');
    const viewState = `/wEPDwUK${randomBytes(18).toString('base64')}`;
    const eventValidation = `/wEdAA${randomBytes(12).toString('base64')}`;
    forms.set(viewState, eventValidation);
    sendPasswordForm(res, `${LAYOUTS}/guestaccess.aspx?share=${SHARE_TOKEN}&e=s6fitN`, viewState, eventValidation, wrong);
  };

  const postPassword = async (req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams): Promise<void> => {
    stats.inc('passwordPost');
    if (query.get('share') !== SHARE_TOKEN || opts.password === undefined) return sendLinkGone(res);
    if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      return sendHtml(res, 400, 'Bad Request', '<p>Bad Request</p>');
    }
    const form = new URLSearchParams((await readBody(req, 1 << 20)).toString('utf8'));
    const vs = form.get('__VIEWSTATE');
    const ev = vs === null ? undefined : forms.get(vs);
    if (ev === undefined || form.get('__EVENTVALIDATION') !== ev || form.get('__VIEWSTATEENCRYPTED') === null || form.get('txtPassword') === null) {
      // ASP.NET refuses a post whose state it did not hand out.
      return sendHtml(res, 400, 'Bad Request', '<p>Invalid postback or callback argument.</p>');
    }
    forms.delete(vs!);
    if (form.get('txtPassword') !== opts.password) {
      stats.inc('wrongPassword');
      return shareLink(res, true);
    }
    grant(res);
  };

  /** The listing routes: counted, throttled, and only for a valid cookie. */
  const api = async (req: http.IncomingMessage, res: http.ServerResponse, fn: (body: unknown) => Promise<unknown>): Promise<void> => {
    stats.inc('api');
    if (req.method !== 'POST') throw methodNotAllowed(req.method);
    if (throttle.hit()) {
      stats.inc('throttled');
      const ra = String(faults.get().retryAfterSec);
      throw new ShareApiError(429, '-2147024860, Microsoft.SharePoint.SPQueryThrottledException', 'The request has been throttled.', { 'Retry-After': ra });
    }
    const verdict = cookies.check(req);
    if (verdict !== 'valid') {
      stats.inc(verdict === 'expired' ? 'expiredCookie' : 'noCookie');
      throw accessDenied();
    }
    if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) throw badRequest('The Content-Type must be application/json;odata=verbose.');
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      throw badRequest('The body is not valid JSON.');
    }
    const answer = await fn(body);
    const payload = Buffer.from(JSON.stringify(answer));
    res.writeHead(200, { 'Content-Type': 'application/json;odata=verbose;charset=utf-8', 'Content-Length': payload.length });
    res.end(payload);
  };

  const page = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    stats.inc('page');
    if (cookies.check(req) !== 'valid') {
      stats.inc('pageSignIn');
      return sendSignInPage(res); // status 200, as a browser gets it
    }
    const ctx: Record<string, unknown> = {
      webServerRelativeUrl: WEB,
      listUrl: LIBRARY,
      userLoginName: '',
      isAnonymousGuestUser: true,
      webTitle: 'John Doe',
      // Where the web's pages (and download.aspx) live; a site link's client reads it from here.
      templateUrl: `${base}${downloadLayouts()}/onedrive.aspx`,
    };
    if (faults.get().editable > 0) ctx.driveInfo = { driveUrl: `${base}${DRIVE_PATH}`, driveAccessToken: driveApi.currentToken() };
    sendHtml(res, 200, 'Shared Team', `<script type="text/javascript">var _spPageContextInfo=${JSON.stringify(ctx).replace(/</g, '\\u003c')};</script>`);
  };

  const setFaults = (f: Partial<ShareFaults>): void => {
    faults.update(f);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { path: rawPath, query } = splitTarget(req.url);
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      /* keep the raw path: it matches nothing */
    }
    try {
      if (rawPath.startsWith(ADMIN_PREFIX)) {
        return await handleAdmin<ShareFaults>(
          {
            stats,
            faults,
            auth: { mintRefreshToken: () => '', revokeAll: () => setFaults({ revoked: 1 }) },
            setFaults,
            errors: { badRequest, methodNotAllowed, notFound: (m) => new ShareApiError(404, 'notFound', m) },
          },
          req,
          res,
          rawPath,
        );
      }
      await sleep(faults.get().latencyMs);
      const method = req.method ?? 'GET';
      if (path === SHARE_PATH) {
        stats.inc('shareLink');
        if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method);
        if (faults.get().revoked > 0) return sendLinkGone(res);
        return shareLink(res);
      }
      if (path === `${LAYOUTS}/guestaccess.aspx` && method === 'POST') {
        if (faults.get().revoked > 0) return sendLinkGone(res);
        return await postPassword(req, res, query);
      }
      if (path === `${LAYOUTS}/onedrive.aspx` && method === 'GET') return page(req, res);
      if (path === `${WEB}/_api/v2.1/graphql`) {
        return await api(req, res, (body) => {
          stats.inc('graphql');
          return listing.graphql(body);
        });
      }
      if (path === NEXT_PAGE_PATH) {
        return await api(req, res, (body) => {
          stats.inc('renderList');
          return listing.next(query, body);
        });
      }
      if (faults.get().editable > 0 && (path === DRIVE_PATH || path.startsWith(`${DRIVE_PATH}/`))) {
        return await driveApi.handle(req, res, path.slice(DRIVE_PATH.length), query);
      }
      if (rawPath.startsWith(UPLOAD_PREFIX)) return await driveApi.handleUpload(req, res, rawPath.slice(UPLOAD_PREFIX.length));
      if (path === `${downloadLayouts()}/download.aspx`) {
        if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method);
        if (throttle.hit()) {
          stats.inc('throttled');
          throw new ShareApiError(429, '-2147024860, Microsoft.SharePoint.SPQueryThrottledException', 'The request has been throttled.', { 'Retry-After': String(faults.get().retryAfterSec) });
        }
        return await handleDownload({ tree, cookies, stats, faults, cutDownload }, req, res, query);
      }
      return sendHtml(res, 404, 'Error', '<p>404 NOT FOUND</p>');
    } catch (e) {
      if (res.headersSent) res.destroy();
      else if (e instanceof ShareApiError) sendShareError(res, e);
      else if (e instanceof BodyTooLargeError) sendShareError(res, new ShareApiError(413, '-1, System.IO.InvalidDataException', e.message));
      else {
        console.error('[onedrive-share-emulator]', e);
        sendShareError(res, new ShareApiError(500, '-1, System.Exception', 'Unexpected error.'));
      }
    }
  };

  const listening = await listenHttp(handle, opts.host ?? '127.0.0.1', opts.port ?? 0);
  base = listening.url;
  let closing: Promise<void> | null = null;
  return {
    url: base,
    port: listening.port,
    shareUrl: `${base}${SHARE_PATH}?e=s6fitN`,
    password: opts.password,
    setFaults,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () => (closing ??= listening.stop()),
  };
}
