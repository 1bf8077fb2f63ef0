// driveItem and drive JSON, as Graph renders them, plus $select handling.
//
// Expensive fields (file hashes, folder sizes and child counts) are only
// computed when the response will contain them, so `$select=id,name` listings
// stay cheap like on the real service.

import { createHash } from 'node:crypto';

import type { EmulatorContext } from './context.js';
import { downloadUrl } from './download.js';
import { invalidRequest } from './errors.js';
import { mimeTypeOf } from './mime.js';
import type { DriveStore, Entry } from './store.js';

/** How a drive was addressed; Graph echoes it in parentReference.path. */
export interface DriveView {
  store: DriveStore;
  /** '/drive/root:' for /me/drive, '/drives/{id}/root:' otherwise. */
  pathPrefix: string;
}

/** Lower-cased selected property names, or null for "all". */
export type Select = ReadonlySet<string> | null;

// Every driveItem property Graph knows; $select of anything else is refused
// like the real service does. We only render the ones we model.
const DRIVE_ITEM_PROPERTIES = [
  'id', 'name', 'size', 'eTag', 'cTag', 'createdDateTime', 'lastModifiedDateTime', 'createdBy',
  'lastModifiedBy', 'description', 'webUrl', 'webDavUrl', 'parentReference', 'fileSystemInfo', 'file',
  'folder', 'root', 'package', 'image', 'photo', 'video', 'audio', 'location', 'remoteItem', 'shared',
  'specialFolder', 'deleted', 'searchResult', 'sharepointIds', 'publication', 'malware',
  'pendingOperations', 'bundle', 'content', 'children', 'thumbnails', 'permissions', 'versions',
  'listItem', 'analytics', 'subscriptions', 'workbook', 'retentionLabel', 'createdByUser',
  'lastModifiedByUser', '@microsoft.graph.downloadUrl',
].map((p) => p.toLowerCase());

export function parseSelect(query: URLSearchParams): Select {
  const raw = query.get('$select') ?? query.get('select');
  if (raw === null) return null;
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = new Set<string>();
  for (const n of names) {
    const lower = n.toLowerCase();
    if (!DRIVE_ITEM_PROPERTIES.includes(lower)) {
      throw invalidRequest(`Could not find a property named '${n}' on type 'microsoft.graph.driveItem'.`);
    }
    out.add(lower);
  }
  return out;
}

const wants = (select: Select, prop: string): boolean => select === null || select.has(prop.toLowerCase());

/** Graph timestamps: UTC, whole seconds (the service keeps 1 s precision). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function guidOf(id: string): string {
  const h = createHash('sha1').update(id).digest('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function version(parts: Array<string | number>): number {
  return createHash('sha1').update(parts.join('|')).digest().readUInt32BE(0) % 1_000_000;
}

/** eTag changes on any change (content, name, location); cTag on content only. */
export function etagOf(e: Entry): string {
  const st = e.stat;
  return `"{${guidOf(e.id)}},${version([st.size, st.mtimeMs, st.ctimeMs, e.rel])}"`;
}

export function ctagOf(e: Entry): string {
  const st = e.stat;
  return `"c:{${guidOf(e.id)}},${version([st.size, st.mtimeMs])}"`;
}

export function encodeRelPath(rel: string): string {
  return rel.split('/').map(encodeURIComponent).join('/');
}

/**
 * The driveItem JSON for `e`. `parent` is its folder (null for the root);
 * listings pass it in so it is not looked up once per child.
 */
export async function driveItemJson(
  ctx: EmulatorContext,
  view: DriveView,
  e: Entry,
  parent: Entry | null,
  select: Select,
): Promise<Record<string, unknown>> {
  const store = view.store;
  const st = e.stat;
  const out: Record<string, unknown> = {};
  if (!e.isDir && wants(select, '@microsoft.graph.downloadUrl')) {
    out['@microsoft.graph.downloadUrl'] = downloadUrl(ctx, store.driveId, e.id);
  }
  const created = isoSeconds(store.createdMs(st));
  const modified = isoSeconds(st.mtimeMs);
  if (wants(select, 'createdDateTime')) out.createdDateTime = created;
  if (wants(select, 'cTag')) out.cTag = ctagOf(e);
  if (wants(select, 'eTag')) out.eTag = etagOf(e);
  if (wants(select, 'id')) out.id = e.id;
  if (wants(select, 'lastModifiedDateTime')) out.lastModifiedDateTime = modified;
  if (wants(select, 'name')) out.name = e.name;
  if (wants(select, 'size')) out.size = e.isDir ? await store.folderSize(e) : st.size;
  if (wants(select, 'parentReference')) {
    const ref: Record<string, unknown> = { driveId: store.driveId, driveType: store.driveType };
    if (parent) {
      ref.id = parent.id;
      ref.path = parent.isRoot ? view.pathPrefix : `${view.pathPrefix}/${encodeRelPath(parent.rel)}`;
    }
    if (store.siteId) ref.siteId = store.siteId;
    out.parentReference = ref;
  }
  if (!e.isDir && wants(select, 'file')) {
    out.file = {
      mimeType: mimeTypeOf(e.name),
      hashes: { quickXorHash: await ctx.hashes.quickXorHash(e.abs, st) },
    };
  }
  if (wants(select, 'fileSystemInfo')) {
    out.fileSystemInfo = { createdDateTime: created, lastModifiedDateTime: modified };
  }
  if (e.isDir && wants(select, 'folder')) out.folder = { childCount: await store.childCount(e.abs) };
  if (e.isRoot && wants(select, 'root')) out.root = {};
  return out;
}

/** GET {drive}: the drive resource with its quota. */
export async function driveJson(ctx: EmulatorContext, store: DriveStore): Promise<Record<string, unknown>> {
  const total = ctx.faults.get().quotaTotal;
  const used = await store.usedBytes();
  const remaining = Math.max(0, total - used);
  const state = used >= total ? 'exceeded' : remaining < total * 0.01 ? 'critical' : remaining < total * 0.1 ? 'nearing' : 'normal';
  const root = await store.rootEntry();
  return {
    '@odata.context': `${ctx.url}/v1.0/$metadata#drives/$entity`,
    createdDateTime: isoSeconds(store.createdMs(root.stat)),
    id: store.driveId,
    lastModifiedDateTime: isoSeconds(root.stat.mtimeMs),
    name: store.driveType === 'documentLibrary' ? 'Documents' : 'OneDrive',
    driveType: store.driveType,
    owner: { user: { displayName: 'Emulator User', id: store.driveId } },
    quota: { deleted: 0, remaining, state, total, used },
  };
}

/** GET /me/drives, /sites/{id}/drives: a drive collection (members carry no @odata.context). */
export async function driveCollectionJson(ctx: EmulatorContext, stores: DriveStore[]): Promise<Record<string, unknown>> {
  const value = await Promise.all(
    stores.map(async (s) => {
      const d = await driveJson(ctx, s);
      delete d['@odata.context'];
      return d;
    }),
  );
  return { '@odata.context': `${ctx.url}/v1.0/$metadata#drives`, value };
}
