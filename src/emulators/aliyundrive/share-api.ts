// The share API on the emulator (shares.ts holds the state):
//   POST /v2/share_link/get_share_token              {share_id, share_pwd?} → {share_token, expires_in, expire_time}
//   POST /adrive/v3/file/list                        x-share-token; listing scoped to the share
//   POST /v2/file/get_share_link_download_url        bearer + x-share-token; refused by default (429 ParamFlowException)
//   GET  /_oss/share/<shareId>/<fileId>              the link when downloads work (Referer-checked, signed)
//   POST /v3/batch with x-share-token                `/file/copy` sub-requests with share_id copy into the user's drive
// Admin (tests): POST /_emulator/shares {path, password?} → {shareId}; POST /_emulator/shares/<id>/cancel|expire;
//   POST /_emulator/share-tokens/revoke; GET|POST /_emulator/share-settings {shareTokenTtlSec?, shareDownloads?}.

import { randomBytes } from 'node:crypto';
import { cp, open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendEmpty, sendJson } from '../common/http.js';
import { parseRange } from '../common/range.js';
import { sendFileRange } from '../common/stream.js';
import { admitCaller } from './api.js';
import { batch } from './batch.js';
import type { AliContext } from './context.js';
import { AliError, invalidParam, missingParam, OssError } from './errors.js';
import { fileJson, isoTime, requireFolder } from './files.js';
import { commitStaged } from './place.js';
import { ensureQuota } from './quota.js';
import type { Share, ShareRegistry, ShareSettings } from './shares.js';
import { expiryIn } from './signer.js';
import { treeBytes, type Item } from './store.js';

export const SHARE_TOKEN_PATH = '/v2/share_link/get_share_token';
export const SHARE_LIST_PATH = '/adrive/v3/file/list';
export const SHARE_LINK_PATH = '/v2/file/get_share_link_download_url';
export const SHARE_DOWNLOAD_PREFIX = '/_oss/share/';
const ADMIN_SHARES = '/_emulator/shares';
const ADMIN_REVOKE = '/_emulator/share-tokens/revoke';
const ADMIN_SETTINGS = '/_emulator/share-settings';

/** The Referer the storage host wants on share download links (as on the legacy API's links). */
export const SHARE_DOWNLOAD_REFERER = 'https://www.alipan.com/';
const DEFAULT_LIST_LIMIT = 20;
const MAX_LIST_LIMIT = 100;
const MAX_LINK_SEC = 600;

/** Counters of the share routes (always present in the stats, as 0 until counted). */
export const SHARE_STAT_KEYS = [
  'shareToken', 'shareTokenError', 'shareTokenInvalid', 'shareList', 'shareLink', 'shareLinkRefused', 'shareDownload',
  'shareBatch', 'shareCopy',
] as const;

export const SHARE_BATCH_PATH = '/v3/batch';

/** A batch that carries a share token (copies out of a share) is served here, the rest by the legacy API. */
export function isShareBatch(path: string, req: IncomingMessage): boolean {
  return path === SHARE_BATCH_PATH && req.headers['x-share-token'] !== undefined;
}

export function isShareRoute(path: string): boolean {
  return path === SHARE_TOKEN_PATH || path === SHARE_LIST_PATH || path === SHARE_LINK_PATH || path.startsWith(SHARE_DOWNLOAD_PREFIX);
}

export function isShareAdminRoute(path: string): boolean {
  return path === ADMIN_SHARES || path.startsWith(`${ADMIN_SHARES}/`) || path === ADMIN_REVOKE || path === ADMIN_SETTINGS;
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    throw new AliError(400, 'InvalidParameter', 'The request body is not valid JSON.');
  }
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AliError(400, 'InvalidParameter', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

function str(body: Record<string, unknown>, name: string, required: true): string;
function str(body: Record<string, unknown>, name: string, required?: false): string | undefined;
function str(body: Record<string, unknown>, name: string, required = false): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw missingParam(name);
    return undefined;
  }
  if (typeof v !== 'string') throw invalidParam(name);
  return v;
}

function int(body: Record<string, unknown>, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidParam(name);
  return v;
}

/** The token's share must be the one the body names. */
function sameShare(share: Share, body: Record<string, unknown>): void {
  if (str(body, 'share_id', true) !== share.id) throw invalidParam('share_id', 'the share token belongs to another share');
}

/** The documented per-user rate limits, when on, for the share calls as well. */
function paced(ctx: AliContext, cls: 'list' | 'link' | 'other'): void {
  if (!ctx.faults.get().enforceRateLimits) return;
  const wait = ctx.rates.take(cls);
  if (wait > 0) {
    ctx.stats.inc('throttled');
    ctx.stats.inc('rateLimited');
    throw new AliError(429, 'TooManyRequests', 'Too Many Requests', { 'x-retry-after': String(Math.ceil(wait)) });
  }
}

export async function handleShareApi(ctx: AliContext, shares: ShareRegistry, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  if (path.startsWith(SHARE_DOWNLOAD_PREFIX)) return shareDownload(ctx, shares, req, res, path, query);
  if (req.method !== 'POST') throw new AliError(405, 'MethodNotAllowed', `The API only accepts POST, not ${req.method ?? ''}.`);
  const body = await jsonBody(req);
  if (path === SHARE_TOKEN_PATH) {
    ctx.stats.inc('shareToken');
    try {
      const answer = shares.issueToken(str(body, 'share_id', true), str(body, 'share_pwd'));
      return sendJson(res, 200, answer);
    } catch (e) {
      ctx.stats.inc('shareTokenError');
      throw e;
    }
  }
  const share = checkShareToken(ctx, shares, req);
  if (path === SHARE_LIST_PATH) {
    ctx.stats.inc('shareList');
    paced(ctx, 'list');
    return sendJson(res, 200, await listShare(ctx, shares, share, body));
  }
  ctx.stats.inc('shareLink');
  // The user's own legacy bearer as well: links are handed to signed-in users only.
  legacyBearer(ctx, req);
  return sendJson(res, 200, await shareLink(ctx, shares, share, body));
}

function legacyBearer(ctx: AliContext, req: IncomingMessage): string {
  const auth = ctx.legacy.auth.checkBearer(req.headers.authorization);
  if (!auth.ok) {
    ctx.stats.inc('unauthorized');
    throw auth.error;
  }
  return auth.token;
}

/**
 * POST /v3/batch carrying an x-share-token: the legacy batch, with `/file/copy` sub-requests that
 * name a share_id copied out of that share (copyFromShare); the others run as in any batch. The
 * checks are the legacy API's: legacy bearer, device session (a write to the user's drive), rate limits.
 */
export async function handleShareBatch(ctx: AliContext, shares: ShareRegistry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.stats.inc('legacyApi');
  ctx.stats.inc('shareBatch');
  if (req.method !== 'POST') throw new AliError(405, 'MethodNotAllowed', `The API only accepts POST, not ${req.method ?? ''}.`);
  const body = await jsonBody(req);
  const accessToken = legacyBearer(ctx, req);
  ctx.legacy.sessions.check(req, ctx.userId);
  admitCaller(ctx, 'other');
  const requests = body.requests;
  if (!Array.isArray(requests) || requests.some((r) => typeof r !== 'object' || r === null)) {
    // Not ours to judge further: the plain batch answers malformed batches.
    return sendJson(res, 200, await batch({ ctx, accessToken, body }));
  }
  const responses = [];
  for (const r of requests as Array<Record<string, unknown>>) {
    const sub = r.body as Record<string, unknown> | undefined;
    if (r.url === '/file/copy' && r.method === 'POST' && typeof sub === 'object' && sub !== null && sub.share_id !== undefined) {
      const a = await copyFromShare(ctx, shares, req.headers['x-share-token'], sub);
      responses.push({ id: typeof r.id === 'string' ? r.id : '', status: a.status, body: a.body });
    } else {
      const a = (await batch({ ctx, accessToken, body: { resource: body.resource, requests: [r] } })) as { responses: unknown[] };
      responses.push(...a.responses);
    }
  }
  return sendJson(res, 200, { responses });
}

function checkShareToken(ctx: AliContext, shares: ShareRegistry, req: IncomingMessage): Share {
  try {
    return shares.checkToken(req.headers['x-share-token']);
  } catch (e) {
    ctx.stats.inc('shareTokenInvalid');
    throw e;
  }
}

/** Name order only (what share clients ask for); the marker names the last item returned. */
async function listShare(ctx: AliContext, shares: ShareRegistry, share: Share, body: Record<string, unknown>): Promise<unknown> {
  sameShare(share, body);
  const parent = await shares.itemIn(share, str(body, 'parent_file_id', true));
  if (!parent || parent.kind !== 'folder') throw new AliError(404, 'NotFound.File', 'The resource file cannot be found. file not exist');
  const requested = int(body, 'limit') ?? 0;
  const limit = requested === 0 ? DEFAULT_LIST_LIMIT : Math.min(requested, MAX_LIST_LIMIT);
  const dir = (str(body, 'order_direction') ?? 'ASC').toUpperCase();
  if (dir !== 'ASC' && dir !== 'DESC') throw invalidParam('order_direction');
  const by = str(body, 'order_by') ?? 'name';
  if (by !== 'name') throw invalidParam('order_by', 'shares are listed by name');
  const markerRaw = str(body, 'marker') ?? '';
  let after: string | undefined;
  if (markerRaw) {
    try {
      after = JSON.parse(Buffer.from(markerRaw, 'base64url').toString('utf8')).n;
    } catch {
      /* checked below */
    }
    if (typeof after !== 'string') throw invalidParam('marker');
  }
  const sign = dir === 'ASC' ? 1 : -1;
  const kids = (await shares.drive.children(parent)).sort((a, b) => sign * (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const start = after === undefined ? 0 : kids.findIndex((k) => sign * (k.name < after! ? -1 : k.name > after! ? 1 : 0) > 0);
  const page = start < 0 ? [] : kids.slice(start, start + limit);
  const more = start >= 0 && start + limit < kids.length;
  const last = page[page.length - 1];
  const next = more && last ? Buffer.from(JSON.stringify({ n: last.name })).toString('base64url') : '';
  const items = await Promise.all(page.map(async (it) => ({ ...(await fileJson(ctx, shares.drive, it)), share_id: share.id })));
  return { items, next_marker: next };
}

async function sharedFile(shares: ShareRegistry, share: Share, body: Record<string, unknown>): Promise<Item> {
  const it = await shares.itemIn(share, str(body, 'file_id', true));
  if (!it) throw new AliError(404, 'NotFound.File', 'The resource file cannot be found. file not exist');
  return it;
}

async function shareLink(ctx: AliContext, shares: ShareRegistry, share: Share, body: Record<string, unknown>): Promise<unknown> {
  sameShare(share, body);
  if (str(body, 'drive_id', true) !== shares.drive.driveId) throw new AliError(403, 'ForbiddenDriveNotValid', 'The drive is not valid for this share.');
  const it = await sharedFile(shares, share, body);
  if (it.kind !== 'file') throw invalidParam('file_id', 'a folder has no download url');
  if (shares.settings.shareDownloads === 'refused') {
    // What the service answers today, every time, with no hint of when to retry.
    ctx.stats.inc('shareLinkRefused');
    throw new AliError(429, 'ParamFlowException', randomBytes(16).toString('hex'), {}, { resultCode: 'ParamFlowException' });
  }
  if (shares.settings.shareDownloads === 'throttled') {
    // The same lasting refusal as a plain throttling answer (reports name both).
    ctx.stats.inc('shareLinkRefused');
    throw new AliError(429, 'TooManyRequests', 'Too Many Requests', { 'x-retry-after': '50' });
  }
  // A refused call takes no rate-limit slot (the refusal above is itself a throttling answer).
  admitCaller(ctx, 'link');
  const ttl = Math.min(int(body, 'expire_sec') ?? MAX_LINK_SEC, MAX_LINK_SEC);
  const expires = expiryIn(Math.max(1, ttl));
  const url = ctx.url + ctx.signer.sign('GET', `${SHARE_DOWNLOAD_PREFIX}${share.id}/${it.id}`, expires);
  return { download_url: url, url, expiration: isoTime(expires * 1000), size: it.size };
}

async function shareDownload(ctx: AliContext, shares: ShareRegistry, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  ctx.stats.inc('shareDownload');
  if (req.method !== 'GET') throw new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  ctx.signer.verify(req, path, query);
  if (req.headers.referer !== SHARE_DOWNLOAD_REFERER) {
    ctx.stats.inc('refererRefused');
    throw new OssError(403, 'AccessDenied', 'You are denied by bucket referer policy.');
  }
  const [shareId, fileId] = path.slice(SHARE_DOWNLOAD_PREFIX.length).split('/');
  const share = shares.get(shareId ?? '');
  const it = share && share.state === 'live' ? await shares.itemIn(share, fileId ?? '') : null;
  if (!it || it.kind !== 'file') throw new OssError(404, 'NoSuchKey', 'The specified key does not exist.');
  const fh = await open(it.abs, 'r').catch(() => {
    throw new OssError(404, 'NoSuchKey', 'The specified key does not exist.');
  });
  try {
    const size = (await fh.stat()).size;
    const range = parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') throw new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied.', {}, { 'Content-Range': `bytes */${size}` });
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream', 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' };
    if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
    const r = await sendFileRange(res, fh, { start, end, bandwidthBytesPerSec: ctx.faults.get().bandwidthBytesPerSec });
    ctx.stats.inc('downloadBytes', r.bytes);
  } finally {
    await fh.close();
  }
}

/**
 * The batch sub-request `/file/copy` carrying `share_id`: copies a shared item into the caller's
 * own drive (`to_drive_id`/`to_parent_file_id`), quota counted. The caller (the batch route) has
 * admitted the user's bearer and device session; this checks the share token and membership.
 */
export async function copyFromShare(
  ctx: AliContext,
  shares: ShareRegistry,
  shareTokenHeader: string | string[] | undefined,
  body: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  ctx.stats.inc('shareCopy');
  try {
    const share = checkShareToken(ctx, shares, { headers: { 'x-share-token': shareTokenHeader } } as unknown as IncomingMessage);
    sameShare(share, body);
    const it = await sharedFile(shares, share, body);
    const drive = ctx.drivesById.get(str(body, 'to_drive_id', true));
    if (!drive) throw new AliError(403, 'ForbiddenDriveNotValid', 'The drive is not valid for this user.');
    const dest = await requireFolder(drive, str(body, 'to_parent_file_id', true));
    await ensureQuota(ctx, await treeBytes(it.abs));
    const staged = await drive.staging.newPath();
    try {
      await cp(it.abs, staged, { recursive: true, errorOnExist: true, force: false });
      const done = await commitStaged(ctx, drive, dest.id, it.name, body.auto_rename === true ? 'auto_rename' : 'refuse', staged);
      return { status: 201, body: { drive_id: drive.driveId, file_id: done.id } };
    } finally {
      await rm(staged, { recursive: true, force: true }).catch(() => undefined);
    }
  } catch (e) {
    if (e instanceof AliError) return { status: e.status, body: { code: e.code, message: e.message } };
    throw e;
  }
}

/** The admin routes for shares (tests play the sharer with them). */
export async function handleShareAdmin(shares: ShareRegistry, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  if (path === ADMIN_SETTINGS) {
    if (method === 'POST') {
      try {
        shares.update((await jsonBody(req)) as Partial<ShareSettings>);
      } catch (e) {
        if (e instanceof AliError) throw e;
        throw new AliError(400, 'InvalidParameter', (e as Error).message);
      }
    }
    return sendJson(res, 200, shares.settings);
  }
  if (method !== 'POST') throw new AliError(405, 'MethodNotAllowed', `Method ${method} is not allowed here.`);
  if (path === ADMIN_REVOKE) {
    shares.revokeTokens();
    return sendEmpty(res, 204);
  }
  if (path === ADMIN_SHARES) {
    const body = await jsonBody(req);
    const rel = (str(body, 'path') ?? '/').split('/').filter((s) => s !== '');
    const it = await shares.drive.resolvePath(rel);
    if (!it || it.kind !== 'folder') throw new AliError(404, 'NotFound.File', `no folder ${String(body.path)} in the sharer's drive`);
    const share = shares.create(it.id, str(body, 'password'));
    return sendJson(res, 200, { shareId: share.id, fileId: it.id });
  }
  const [id, action] = path.slice(ADMIN_SHARES.length + 1).split('/');
  const state = action === 'cancel' ? 'cancelled' : action === 'expire' ? 'expired' : undefined;
  if (!state || !shares.setState(id ?? '', state)) throw new AliError(404, 'NotFound', `no admin route ${path}`);
  return sendEmpty(res, 204);
}
