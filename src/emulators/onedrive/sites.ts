// SharePoint sites on the Graph host: what a client needs to turn a site
// address (as users copy it from the browser) into the drive to mount.
//
//   GET /v1.0/sites/{hostname}:/{server-relative-path}[:]   the site at that address
//   GET /v1.0/sites/{site-id}                                the site
//   GET /v1.0/sites/{site-id}/drives                         its document libraries (one here)
//
// `/sites/{site-id}/drive` and below stay with paths.ts. Each configured site
// has exactly one library, backed by its folder.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { GRAPH_JSON, invalidRequest, methodNotAllowed, notFound } from './errors.js';
import { driveCollectionJson, isoSeconds } from './items.js';
import type { DriveStore } from './store.js';

/** How a site is configured: its folder, or the folder plus how the site presents itself. */
export type SiteOption = string | { root: string; webUrl?: string; displayName?: string };

export interface Site {
  id: string;
  /** e.g. https://contoso.sharepoint.com/sites/team */
  webUrl: string;
  displayName: string;
  store: DriveStore;
}

export function siteRoot(opt: SiteOption): string {
  return typeof opt === 'string' ? opt : opt.root;
}

/** The site's address and name, with the defaults for the plain `siteId=folder` form. */
export function siteIdentity(siteId: string, opt: SiteOption): { webUrl: string; displayName: string } {
  const o: { webUrl?: string; displayName?: string } = typeof opt === 'string' ? {} : opt;
  const webUrl = o.webUrl ?? `https://contoso.sharepoint.com/sites/${siteId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const u = new URL(webUrl); // refuse a malformed address at start-up, not at lookup
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`site ${siteId}: webUrl must be an http(s) address`);
  return { webUrl, displayName: o.displayName ?? siteId };
}

/** host + decoded path, lower-cased, no trailing slash: how a site address is compared. */
const addressKey = (host: string, path: string): string => `${host}${path}`.toLowerCase().replace(/\/+$/, '');

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidRequest(`Invalid percent-encoding in '${s}'.`);
  }
}

const BY_ADDRESS = /^\/sites\/([^/:]+):(\/[^:]*)?:?$/;
const BY_ID = /^\/sites\/([^/:]+)\/?$/;
const DRIVES = /^\/sites\/([^/:]+)\/drives\/?$/i;

/** `rest` is the path after /v1.0 (still percent-encoded). False when not a site route. */
export async function handleSites(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, rest: string): Promise<boolean> {
  let m: RegExpExecArray | null;
  let answer: () => Promise<unknown>;
  if ((m = BY_ADDRESS.exec(rest))) {
    const host = decode(m[1]);
    const path = (m[2] ?? '').split('/').map(decode).join('/');
    answer = async () => siteJson(ctx, siteByAddress(ctx, host, path));
  } else if ((m = BY_ID.exec(rest))) {
    const site = siteById(ctx, decode(m[1]));
    answer = async () => siteJson(ctx, site);
  } else if ((m = DRIVES.exec(rest))) {
    const site = siteById(ctx, decode(m[1]));
    answer = async () => driveCollectionJson(ctx, [site.store]);
  } else {
    return false;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method);
  ctx.stats.inc('site');
  sendJson(res, 200, await answer(), {}, GRAPH_JSON);
  return true;
}

const siteNotFound = () => notFound('Requested site could not be found');

function siteById(ctx: EmulatorContext, id: string): Site {
  const site = ctx.sites.get(id);
  if (!site) throw siteNotFound();
  return site;
}

// Matched against each site's webUrl, ignoring case (host names and SharePoint
// paths are case-insensitive) and a trailing slash.
function siteByAddress(ctx: EmulatorContext, host: string, path: string): Site {
  const wanted = addressKey(host, path);
  for (const site of ctx.sites.values()) {
    const u = new URL(site.webUrl);
    if (addressKey(u.host, decode(u.pathname)) === wanted) return site;
  }
  throw siteNotFound();
}

async function siteJson(ctx: EmulatorContext, site: Site): Promise<Record<string, unknown>> {
  const root = await site.store.rootEntry();
  const u = new URL(site.webUrl);
  const segments = decode(u.pathname).split('/').filter((s) => s !== '');
  return {
    '@odata.context': `${ctx.url}/v1.0/$metadata#sites/$entity`,
    createdDateTime: isoSeconds(site.store.createdMs(root.stat)),
    id: site.id,
    lastModifiedDateTime: isoSeconds(root.stat.mtimeMs),
    name: segments[segments.length - 1] ?? u.hostname,
    webUrl: site.webUrl,
    displayName: site.displayName,
    siteCollection: { hostname: u.hostname },
  };
}
