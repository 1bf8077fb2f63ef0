// The file object and the read operations: openFile/list, openFile/get,
// openFile/get_by_path.
//
// Listing: `limit` defaults to 50 and is clamped to 100 (the documented
// maximum; clients asking for more just get shorter pages), `next_marker` is
// "" on the last page. Markers are opaque and name the last item returned
// (its sort key), so paging stays consistent while the folder changes.
// order_by: name (default) | created_at | updated_at | size; order_direction
// ASC (default) | DESC; ties broken by name.

import { mimeTypeOf } from '../onedrive/mime.js';
import type { AliContext, ApiCall } from './context.js';
import { fileNotFound, invalidParam, parentNotFound } from './errors.js';
import { driveOf, optInt, optString, reqString } from './params.js';
import { type AliDrive, type Item } from './store.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

const CATEGORIES: Record<string, string[]> = {
  image: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'heic', 'heif', 'tif', 'tiff', 'svg', 'livp', 'raw', 'dng'],
  video: ['mp4', 'mkv', 'mov', 'avi', 'wmv', 'flv', 'webm', 'm4v', 'ts', 'rmvb', 'mpg', 'mpeg', '3gp'],
  audio: ['mp3', 'flac', 'wav', 'aac', 'm4a', 'ogg', 'ape', 'wma', 'opus'],
  doc: ['txt', 'md', 'pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'csv', 'rtf', 'epub', 'json', 'xml', 'html', 'htm'],
  zip: ['zip', 'rar', '7z', 'tar', 'gz', 'bz2', 'xz', 'tgz'],
  app: ['apk', 'exe', 'msi', 'dmg', 'ipa', 'deb', 'rpm'],
};
const CATEGORY_OF = new Map<string, string>(Object.entries(CATEGORIES).flatMap(([c, exts]) => exts.map((e) => [e, c])));

export const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
};

/** ISO 8601 with milliseconds and Z, as the service writes times. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** createdAt: birth time where the filesystem has one, never after mtime. */
export const createdMs = (it: Item): number => Math.min(it.stat.birthtimeMs > 0 ? it.stat.birthtimeMs : it.stat.ctimeMs, it.stat.mtimeMs);

export async function fileJson(ctx: AliContext, drive: AliDrive, it: Item): Promise<Record<string, unknown>> {
  const base: Record<string, unknown> = {
    drive_id: drive.driveId,
    file_id: it.id,
    parent_file_id: it.parentId,
    name: it.name,
    type: it.kind === 'folder' ? 'folder' : 'file',
    created_at: isoTime(createdMs(it)),
    updated_at: isoTime(it.stat.mtimeMs),
    status: 'available',
  };
  if (it.kind === 'folder') return base;
  const ext = extensionOf(it.name);
  return {
    ...base,
    size: it.size,
    file_extension: ext,
    content_hash: await ctx.hashes.ofItem(it),
    content_hash_name: 'sha1',
    category: CATEGORY_OF.get(ext) ?? 'others',
    mime_type: it.kind === 'livp' ? 'image/livp' : mimeTypeOf(it.name),
  };
}

/** A live (not trashed) item by file_id; trashed or missing → NotFound.File. */
export async function requireItem(drive: AliDrive, fileId: string): Promise<Item> {
  const it = await drive.resolveId(fileId);
  if (!it) throw fileNotFound();
  return it;
}

/** A live folder by id, for parent_file_id / to_parent_file_id. */
export async function requireFolder(drive: AliDrive, fileId: string): Promise<Item> {
  const it = await drive.resolveId(fileId);
  if (!it || it.kind !== 'folder') throw parentNotFound();
  return it;
}

type OrderBy = 'name' | 'created_at' | 'updated_at' | 'size';
const ORDER_BY: readonly OrderBy[] = ['name', 'created_at', 'updated_at', 'size'];

function sortKey(it: Item, by: OrderBy): number | string {
  switch (by) {
    case 'name':
      return it.name;
    case 'size':
      return it.size;
    case 'created_at':
      return createdMs(it);
    case 'updated_at':
      return it.stat.mtimeMs;
  }
}

const cmp = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Marker {
  o: OrderBy;
  d: 'ASC' | 'DESC';
  k: number | string;
  n: string;
}

function parseMarker(s: string, by: OrderBy, dir: 'ASC' | 'DESC'): Marker | null {
  if (s === '') return null;
  try {
    const m = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Marker;
    if (m.o === by && m.d === dir && typeof m.n === 'string' && (typeof m.k === 'string' || typeof m.k === 'number')) return m;
  } catch {
    /* fall through */
  }
  throw invalidParam('marker', 'the marker does not belong to this listing order');
}

/** POST openFile/list */
export async function list(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  const parent = await requireFolder(drive, reqString(call, 'parent_file_id'));
  const requested = optInt(call, 'limit', 0) ?? 0;
  const limit = requested === 0 ? DEFAULT_LIMIT : Math.min(requested, MAX_LIMIT);
  const by = (optString(call, 'order_by') || 'name') as OrderBy;
  if (!ORDER_BY.includes(by)) throw invalidParam('order_by', `'${by}'`);
  const dirRaw = (optString(call, 'order_direction') || 'ASC').toUpperCase();
  if (dirRaw !== 'ASC' && dirRaw !== 'DESC') throw invalidParam('order_direction', `'${dirRaw}'`);
  const dir = dirRaw as 'ASC' | 'DESC';
  const type = optString(call, 'type');
  if (type !== undefined && type !== '' && type !== 'file' && type !== 'folder') throw invalidParam('type', `'${type}'`);
  const marker = parseMarker(optString(call, 'marker') ?? '', by, dir);

  const sign = dir === 'ASC' ? 1 : -1;
  const order = (ka: number | string, na: string, kb: number | string, nb: string): number => sign * (cmp(ka, kb) || cmp(na, nb));
  let kids = await drive.children(parent);
  if (type === 'folder') kids = kids.filter((k) => k.kind === 'folder');
  else if (type === 'file') kids = kids.filter((k) => k.kind !== 'folder');
  const keyed = kids.map((it) => ({ it, k: sortKey(it, by) }));
  keyed.sort((a, b) => order(a.k, a.it.name, b.k, b.it.name));
  const start = marker ? keyed.findIndex((e) => order(e.k, e.it.name, marker.k, marker.n) > 0) : 0;
  const page = start < 0 ? [] : keyed.slice(start, start + limit);
  const more = start >= 0 && start + limit < keyed.length;
  const last = page[page.length - 1];
  const next = more && last ? Buffer.from(JSON.stringify({ o: by, d: dir, k: last.k, n: last.it.name } satisfies Marker)).toString('base64url') : '';
  const items = await Promise.all(page.map((e) => fileJson(call.ctx, drive, e.it)));
  return { items, next_marker: next };
}

/** POST openFile/get */
export async function get(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  return fileJson(call.ctx, drive, await requireItem(drive, reqString(call, 'file_id')));
}

/** POST openFile/get_by_path — `file_path` from the drive root, e.g. "/a/b.txt". */
export async function getByPath(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  const p = reqString(call, 'file_path');
  const it = await drive.resolvePath(p.split('/').filter((s) => s !== ''));
  if (!it) throw fileNotFound();
  return fileJson(call.ctx, drive, it);
}
