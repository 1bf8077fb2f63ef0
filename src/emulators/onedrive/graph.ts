// The Graph API host: authentication, throttling, and dispatch of drive and
// driveItem requests under /v1.0. Read operations live here; write operations
// are delegated to mutations.ts / uploads.ts, the user and SharePoint sites to
// me.ts / sites.ts.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendEmpty, sendJson } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { sendDelta } from './delta.js';
import { downloadUrl } from './download.js';
import { GRAPH_JSON, GraphError, invalidRequest, methodNotAllowed, notFound } from './errors.js';
import { type DriveView, driveItemJson, driveJson, parseSelect, type Select } from './items.js';
import { handleMe } from './me.js';
import { parseGraphPath, type BaseRef, type GraphTarget, type ItemRef } from './paths.js';
import { handleSites } from './sites.js';
import { compareNames, type Entry } from './store.js';

const DEFAULT_TOP = 200;
const MAX_TOP = 1000;
const SUPPORTED_OPTIONS = new Set(['$top', '$skiptoken', '$select']);

export interface GraphRequest {
  ctx: EmulatorContext;
  req: IncomingMessage;
  res: ServerResponse;
  rawPath: string;
  query: URLSearchParams;
  target: GraphTarget;
  view: DriveView;
}

/**
 * Extension point for write operations (phase 2): return true when handled.
 * Registered by the server so this module does not depend on them.
 */
export type GraphWriteHandler = (g: GraphRequest) => Promise<boolean>;

export async function handleGraph(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  query: URLSearchParams,
  writes?: GraphWriteHandler,
): Promise<void> {
  const { stats } = ctx;
  stats.inc('api');
  const auth = ctx.auth.checkBearer(req.headers.authorization);
  if (!auth.ok) {
    stats.inc('unauthorized');
    throw new GraphError(401, 'InvalidAuthenticationToken', auth.message, {
      'WWW-Authenticate': `Bearer realm="", authorization_uri="${ctx.url}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    });
  }
  if (ctx.counters.throttle.hit()) {
    stats.inc('throttled');
    throw new GraphError(429, 'activityLimitReached', 'The request has been throttled', {
      'Retry-After': String(ctx.faults.get().retryAfterSec),
    });
  }
  for (const key of query.keys()) {
    if (key.startsWith('$') && !SUPPORTED_OPTIONS.has(key.toLowerCase())) {
      throw invalidRequest(`The query option '${key}' is not supported by the emulator.`);
    }
  }

  // The user and SharePoint sites are not drives: routed before the drive parser.
  const rest = rawPath.slice('/v1.0'.length);
  if ((await handleMe(ctx, req, res, rest)) || (await handleSites(ctx, req, res, rest))) return;

  const target = parseGraphPath(rawPath);
  const view = driveView(ctx, target.base);
  const g: GraphRequest = { ctx, req, res, rawPath, query, target, view };
  const method = req.method === 'HEAD' ? 'GET' : req.method;

  if (method === 'GET') {
    if (target.item === null) {
      stats.inc('drive');
      sendJson(res, 200, await driveJson(ctx, view.store), {}, GRAPH_JSON);
      return;
    }
    switch (target.action) {
      case '':
        stats.inc('item');
        return getItem(g);
      case 'children':
        stats.inc('children');
        return listChildren(g);
      case 'content':
        stats.inc('content');
        return getContent(g);
      case 'delta':
        stats.inc('delta');
        return sendDelta(ctx, view, await requireItem(g), rawPath, query, res);
    }
  }
  if (writes && (await writes(g))) return;
  throw methodNotAllowed(req.method);
}

function driveView(ctx: EmulatorContext, base: BaseRef): DriveView {
  if (base.kind === 'me') return { store: ctx.me, pathPrefix: '/drive/root:' };
  const store =
    base.kind === 'drives'
      ? (ctx.drivesById.get(base.driveId) ?? ctx.drivesById.get(base.driveId.toLowerCase()))
      : ctx.drivesBySite.get(base.siteId);
  if (!store) {
    throw base.kind === 'sites' ? notFound('Requested site could not be found') : notFound('The drive could not be found.');
  }
  return { store, pathPrefix: `/drives/${store.driveId}/root:` };
}

/** Resolves an item reference; null when it does not exist. */
export async function resolveItem(view: DriveView, ref: ItemRef): Promise<Entry | null> {
  const store = view.store;
  let start: Entry | null;
  if (ref.kind === 'root' || ref.id.toLowerCase() === 'root') start = await store.rootEntry();
  else start = await store.resolveId(ref.id);
  if (!start || ref.path.length === 0) return start;
  return store.resolvePath(ref.path, start);
}

export async function requireItem(g: GraphRequest): Promise<Entry> {
  const e = g.target.item ? await resolveItem(g.view, g.target.item) : null;
  if (!e) throw notFound();
  return e;
}

/** Single driveItem response, as GET item, uploads and PATCH return it. */
export async function sendItem(
  ctx: EmulatorContext,
  res: ServerResponse,
  view: DriveView,
  e: Entry,
  status = 200,
  select: Select = null,
): Promise<void> {
  const parent = await view.store.parentOf(e);
  const body = {
    '@odata.context': `${ctx.url}/v1.0/$metadata#drives('${view.store.driveId}')/items/$entity`,
    ...(await driveItemJson(ctx, view, e, parent, select)),
  };
  sendJson(res, status, body, {}, GRAPH_JSON);
}

async function getItem(g: GraphRequest): Promise<void> {
  const select = parseSelect(g.query);
  await sendItem(g.ctx, g.res, g.view, await requireItem(g), 200, select);
}

async function getContent(g: GraphRequest): Promise<void> {
  const e = await requireItem(g);
  if (e.isDir) throw invalidRequest('Folders have no content; only files can be downloaded.');
  sendEmpty(g.res, 302, { Location: downloadUrl(g.ctx, g.view.store.driveId, e.id) });
}

function parseTop(query: URLSearchParams): number {
  const raw = query.get('$top') ?? query.get('top');
  if (raw === null) return DEFAULT_TOP;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw invalidRequest(`Invalid value '${raw}' for $top.`);
  return Math.min(MAX_TOP, Number(raw));
}

// The skip token is opaque to clients; ours carries the last name returned so
// paging stays correct when entries are added or removed between pages.
const encodeSkipToken = (lastName: string): string => Buffer.from(JSON.stringify({ after: lastName })).toString('base64url');

function decodeSkipToken(query: URLSearchParams): string | null {
  const raw = query.get('$skiptoken') ?? query.get('$skipToken') ?? query.get('skiptoken');
  if (raw === null) return null;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof v.after === 'string') return v.after;
  } catch {
    // fall through
  }
  throw invalidRequest('The skip token is not valid.');
}

function nextLink(g: GraphRequest, token: string): string {
  const parts: string[] = [];
  for (const [k, v] of g.query) {
    if (k.toLowerCase() === '$skiptoken' || k.toLowerCase() === 'skiptoken') continue;
    const key = encodeURIComponent(k).replace(/%24/g, '$').replace(/%40/g, '@');
    parts.push(`${key}=${encodeURIComponent(v)}`);
  }
  parts.push(`$skiptoken=${token}`);
  return `${g.ctx.url}${g.rawPath}?${parts.join('&')}`;
}

async function listChildren(g: GraphRequest): Promise<void> {
  const { ctx, view } = g;
  const select = parseSelect(g.query);
  const top = parseTop(g.query);
  const after = decodeSkipToken(g.query);
  const dir = await requireItem(g);
  if (!dir.isDir) {
    throw new GraphError(422, 'notSupported', 'Children cannot be listed from an item that is not a folder', {}, 'getChildrenOnNonFolder');
  }
  const names = await view.store.childNames(dir);
  let i = after === null ? 0 : firstAfter(names, after);
  const page: Entry[] = [];
  while (page.length < top && i < names.length) {
    const batch = names.slice(i, i + (top - page.length));
    i += batch.length;
    page.push(...(await view.store.entriesOf(dir, batch)));
  }
  const value = await Promise.all(page.map((e) => driveItemJson(ctx, view, e, dir, select)));
  const body: Record<string, unknown> = { '@odata.context': `${ctx.url}/v1.0/$metadata#Collection(driveItem)` };
  if (i < names.length && page.length > 0) body['@odata.nextLink'] = nextLink(g, encodeSkipToken(page[page.length - 1].name));
  body.value = value;
  sendJson(g.res, 200, body, {}, GRAPH_JSON);
}

/** Index of the first name sorting after `after` (binary search). */
function firstAfter(names: string[], after: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareNames(names[mid], after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
