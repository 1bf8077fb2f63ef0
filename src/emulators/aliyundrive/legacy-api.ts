// The legacy (mobile app) API: JSON POSTs on the API host with a legacy bearer
// token and the device session's headers. Checks, in order: count it → read
// the body → legacy bearer (401; Open tokens are refused) → device session
// (400 DeviceSessionSignatureInvalid; not for /v2/user/get, which clients call
// before any session exists, nor create_session itself) → frozen account →
// injected throttling → rate limits (list 4/s, links 1/s, others 15/s).
//
// The file object and the operations are those of the Open API (files.ts,
// mutations.ts, uploads.ts); the legacy differences:
// - /v2/file/list: limit default 50, clamped at 200;
// - /adrive/v2/file/createWithFolders makes folders and uploads (on `type`);
// - /v2/file/get_download_url gives a link that needs the app's Referer;
// - /v3/batch (batch.ts) moves, copies and deletes;
// - a missing or malformed x-canary or x-request-id (not a UUID) is refused
//   (400 InvalidParameter.Header, counted as missingHeaders).

import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendJson } from '../common/http.js';
import { admitCaller, USER_NAME } from './api.js';
import { batch } from './batch.js';
import type { AliContext, ApiCall } from './context.js';
import { CREATE_SESSION_PATH } from './device-sessions.js';
import { legacyDownloadUrl } from './download.js';
import { AliError, invalidParam } from './errors.js';
import * as files from './files.js';
import * as mutations from './mutations.js';
import type { RateClass } from './ratelimit.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Handler = (call: ApiCall, req: IncomingMessage) => Promise<unknown> | unknown;

/** The legacy listing's largest page. */
export const LEGACY_MAX_LIMIT = 200;

async function userGet(call: ApiCall): Promise<unknown> {
  const { ctx } = call;
  return {
    user_id: ctx.userId,
    nick_name: USER_NAME,
    user_name: USER_NAME,
    default_drive_id: ctx.drives.default.driveId,
    resource_drive_id: ctx.drives.resource.driveId,
    backup_drive_id: ctx.drives.backup.driveId,
  };
}

async function list(call: ApiCall): Promise<unknown> {
  const requested = call.body.limit;
  if (requested !== undefined && (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 0)) throw invalidParam('limit');
  const limit = requested === undefined || requested === 0 ? files.DEFAULT_LIMIT : Math.min(requested as number, LEGACY_MAX_LIMIT);
  // files.list clamps at the Open API's 100: ask it page by page and join up to `limit`.
  const items: unknown[] = [];
  let marker = typeof call.body.marker === 'string' ? call.body.marker : '';
  for (;;) {
    const page = (await files.list({ ...call, body: { ...call.body, limit: Math.min(files.MAX_LIMIT, limit - items.length), marker } })) as { items: unknown[]; next_marker: string };
    items.push(...page.items);
    marker = page.next_marker;
    if (!marker || items.length >= limit) break;
  }
  return { items, next_marker: marker };
}

async function createWithFolders(call: ApiCall): Promise<unknown> {
  const type = call.body.type;
  if (type === 'folder') return mutations.createFolder(call);
  if (type === 'file') return call.ctx.uploads.create(call);
  throw invalidParam('type', "must be 'file' or 'folder'");
}

async function spaceInfo(call: ApiCall): Promise<unknown> {
  const { ctx } = call;
  return { personal_space_info: { used_size: await ctx.usage.used(0), total_size: ctx.faults.get().quotaTotal } };
}

interface Route {
  key: string;
  cls: RateClass;
  handler: Handler;
  /** false: no device session needed. */
  device?: boolean;
}

/** path → route */
export const LEGACY_ROUTES: Record<string, Route> = {
  '/v2/user/get': { key: 'legacyUserGet', cls: 'other', handler: userGet, device: false },
  [CREATE_SESSION_PATH]: { key: 'legacyCreateSession', cls: 'other', device: false, handler: (c, req) => c.ctx.legacy.sessions.create(c, req, c.ctx.userId) },
  '/v2/file/list': { key: 'legacyList', cls: 'list', handler: list },
  '/v2/file/get': { key: 'legacyGet', cls: 'other', handler: files.get },
  '/v2/file/get_download_url': { key: 'legacyDownloadUrl', cls: 'link', handler: legacyDownloadUrl },
  '/adrive/v2/file/createWithFolders': { key: 'legacyCreate', cls: 'other', handler: createWithFolders },
  '/v2/file/get_upload_url': { key: 'legacyGetUploadUrl', cls: 'other', handler: (c) => c.ctx.uploads.getUploadUrl(c) },
  '/v2/file/list_uploaded_parts': { key: 'legacyListUploadedParts', cls: 'other', handler: (c) => c.ctx.uploads.listUploadedParts(c) },
  '/v2/file/complete': { key: 'legacyComplete', cls: 'other', handler: (c) => c.ctx.uploads.complete(c) },
  '/v3/file/update': { key: 'legacyUpdate', cls: 'other', handler: mutations.update },
  '/v3/batch': { key: 'legacyBatch', cls: 'other', handler: batch },
  '/v2/recyclebin/trash': { key: 'legacyTrash', cls: 'other', handler: mutations.trash },
  '/v2/databox/get_personal_info': { key: 'legacySpaceInfo', cls: 'other', handler: spaceInfo },
};

export const LEGACY_STAT_KEYS = Object.values(LEGACY_ROUTES).map((r) => r.key);

export function isLegacyPath(rawPath: string): boolean {
  return Object.hasOwn(LEGACY_ROUTES, rawPath);
}

/** Calls seen per route and emulator, for the failUpdateEvery / failTrashEvery faults. */
const seenCalls = new WeakMap<AliContext, Map<string, number>>();

/** Whether this call of a route meets an injected failure. */
function injectedFailure(ctx: AliContext, rawPath: string): boolean {
  const f = ctx.faults.get();
  const every = rawPath === '/v3/file/update' ? f.failUpdateEvery : rawPath === '/v2/recyclebin/trash' ? f.failTrashEvery : 0;
  if (!every) return false;
  const seen = seenCalls.get(ctx) ?? new Map<string, number>();
  seenCalls.set(ctx, seen);
  const n = (seen.get(rawPath) ?? 0) + 1;
  seen.set(rawPath, n);
  return n % every === 0;
}

export async function handleLegacyApi(ctx: AliContext, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  const { stats } = ctx;
  const route = LEGACY_ROUTES[rawPath]!;
  stats.inc('legacyApi');
  stats.inc(route.key);
  if (req.method !== 'POST') throw new AliError(405, 'MethodNotAllowed', `The API only accepts POST, not ${req.method ?? ''}.`);
  // The headers the app sends on every call (the service's reaction to their absence is not
  // known: refusing is the stricter choice).
  const canary = req.headers['x-canary'];
  const requestId = req.headers['x-request-id'];
  if (typeof canary !== 'string' || !/^client=\w+,app=[\w-]+,version=v[\d.]+$/.test(canary) || typeof requestId !== 'string' || !UUID.test(requestId)) {
    stats.inc('missingHeaders');
    throw new AliError(400, 'InvalidParameter.Header', 'x-canary and x-request-id (a UUID) are required.');
  }
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    throw new AliError(400, 'InvalidParameter', 'The request body is not valid JSON.');
  }
  if (body === undefined) body = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AliError(400, 'InvalidParameter', 'The request body must be a JSON object.');

  const auth = ctx.legacy.auth.checkBearer(req.headers.authorization);
  if (!auth.ok) {
    stats.inc('unauthorized');
    throw auth.error;
  }
  if (route.device !== false) ctx.legacy.sessions.check(req, ctx.userId);
  admitCaller(ctx, route.cls);
  if (injectedFailure(ctx, rawPath)) throw new AliError(500, 'InternalError', 'Request processing has failed due to some unknown error.');
  const result = await route.handler({ ctx, accessToken: auth.token, body: body as Record<string, unknown> }, req);
  sendJson(res, 200, result);
}
