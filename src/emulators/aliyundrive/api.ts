// The API host: every call is a JSON POST under /adrive/v1.0/ with
// `Authorization: Bearer <access token>`. Order of checks for each call:
//   count it → read the body → Bearer (401) → frozen account (403
//   UserNotAllowedAccessResource) → injected throttling (429) → the
//   documented per-user rate limits (429, x-retry-after in ms) → the operation.
// A refused call does not take a rate-limit slot. admit() is those checks,
// shared with GET /oauth/users/info (user-info.ts).

import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendJson } from '../common/http.js';
import type { AliContext, ApiCall } from './context.js';
import * as download from './download.js';
import * as files from './files.js';
import * as mutations from './mutations.js';
import { AliError, invalidParam } from './errors.js';
import { rateClassOf, type RateClass } from './ratelimit.js';

export const API_PREFIX = '/adrive/v1.0/';

type Handler = (call: ApiCall) => Promise<unknown>;

/** What the emulator calls its user (getDriveInfo, users/info). */
export const USER_NAME = 'Emulated User';

async function driveInfo(call: ApiCall): Promise<unknown> {
  const { ctx } = call;
  return {
    user_id: ctx.userId,
    name: USER_NAME,
    avatar: '',
    default_drive_id: ctx.drives.default.driveId,
    resource_drive_id: ctx.drives.resource.driveId,
    backup_drive_id: ctx.drives.backup.driveId,
  };
}

async function spaceInfo(call: ApiCall): Promise<unknown> {
  const { ctx } = call;
  return { personal_space_info: { used_size: await ctx.usage.used(0), total_size: ctx.faults.get().quotaTotal } };
}

async function create(call: ApiCall): Promise<unknown> {
  const type = call.body.type;
  if (type === 'folder') return mutations.createFolder(call);
  if (type === 'file') return call.ctx.uploads.create(call);
  throw invalidParam('type', "must be 'file' or 'folder'");
}

/** route (below API_PREFIX) → [stats key, handler] */
const ROUTES: Record<string, [string, Handler]> = {
  'user/getDriveInfo': ['driveInfo', driveInfo],
  'user/getSpaceInfo': ['spaceInfo', spaceInfo],
  'openFile/list': ['list', files.list],
  'openFile/get': ['get', files.get],
  'openFile/get_by_path': ['getByPath', files.getByPath],
  'openFile/getDownloadUrl': ['getDownloadUrl', download.getDownloadUrl],
  'openFile/create': ['create', create],
  'openFile/getUploadUrl': ['getUploadUrl', (c) => c.ctx.uploads.getUploadUrl(c)],
  'openFile/listUploadedParts': ['listUploadedParts', (c) => c.ctx.uploads.listUploadedParts(c)],
  'openFile/complete': ['complete', (c) => c.ctx.uploads.complete(c)],
  'openFile/update': ['update', mutations.update],
  'openFile/move': ['move', mutations.move],
  'openFile/copy': ['copy', mutations.copy],
  'openFile/recyclebin/trash': ['trash', mutations.trash],
  'openFile/delete': ['delete', mutations.remove],
};

export async function handleApi(ctx: AliContext, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  const { stats } = ctx;
  stats.inc('api');
  const route = ROUTES[rawPath.slice(API_PREFIX.length)];
  if (!route) throw new AliError(404, 'NotFound', `The API ${rawPath} does not exist.`);
  const [key, handler] = route;
  stats.inc(key);
  if (req.method !== 'POST') throw new AliError(405, 'MethodNotAllowed', `The API only accepts POST, not ${req.method ?? ''}.`);

  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    throw new AliError(400, 'InvalidParameter', 'The request body is not valid JSON.');
  }
  if (body === undefined) body = {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AliError(400, 'InvalidParameter', 'The request body must be a JSON object.');
  }

  const accessToken = admit(ctx, req.headers.authorization, key);
  const result = await handler({ ctx, accessToken, body: body as Record<string, unknown> });
  sendJson(res, 200, result);
}

/**
 * Bearer (401) → frozen (403) → injected throttling → rate limits (429) for the
 * call counted as `key`; returns the access token or throws the refusal.
 */
export function admit(ctx: AliContext, authorization: string | undefined, key: string): string {
  const { stats } = ctx;
  const auth = ctx.auth.checkBearer(authorization);
  if (!auth.ok) {
    stats.inc('unauthorized');
    throw auth.error;
  }
  admitCaller(ctx, rateClassOf(key));
  return auth.token;
}

/** The checks after the bearer (frozen → injected throttling → rate limits), shared with the legacy API. */
export function admitCaller(ctx: AliContext, cls: RateClass): void {
  const { stats } = ctx;
  const f = ctx.faults.get();
  if (f.accountState === 'frozen') {
    stats.inc('frozenRefused');
    throw new AliError(403, 'UserNotAllowedAccessResource', 'user not allowed access resource for violation');
  }
  if (ctx.counters.throttle.hit()) {
    stats.inc('throttled');
    throw tooMany(f.retryAfterMs);
  }
  if (f.enforceRateLimits) {
    const wait = ctx.rates.take(cls);
    if (wait > 0) {
      stats.inc('throttled');
      stats.inc('rateLimited');
      throw tooMany(wait);
    }
  }
}

const tooMany = (ms: number): AliError =>
  new AliError(429, 'TooManyRequests', 'Too Many Requests', { 'x-retry-after': String(Math.ceil(ms)) });
