// A drive backed by a real folder, plus its recycle bin. The folder is the
// single source of truth: tests seed it and compare bytes with it directly.
//
// - file_id: 40 lower-case hex digits (like the service's), derived from the
//   drive id and the item's (inode, birth time): stable across renames and
//   moves, different for a new item that reuses an inode.
// - The root is addressed as "root"; its children have parent_file_id "root".
// - Names are case-sensitive, as on the service (and on the backing folder).
// - Live photos: a *folder* named `X.livp` holding exactly two files, a
//   JPEG (`X.jpeg` or `X.jpg`) and a QuickTime movie (`X.mov`), is one item
//   of type file (extension livp, size = both files). Any other folder is a
//   folder. The inner names' stem is not checked, so a renamed live photo
//   stays one.
// - Trashed items are moved to a per-drive area outside the backing folder
//   (bytes kept, still counted as used space) and remembered by id.
// - Displaced items: where the service would keep two files with one name
//   (check_name_mode "ignore"), the older one is moved out of the folder the
//   same way. It keeps its id and can still be got, downloaded, renamed,
//   moved, trashed or deleted by id, but no longer shows in listings or by
//   path (a folder cannot hold two entries with one name).

import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

import { Mutex } from '../common/mutex.js';
import { moveInto, Staging } from '../onedrive/staging.js';
import { baseName } from '../../util/posix-path.js';

export type Kind = 'folder' | 'file' | 'livp';

export interface LivpParts {
  jpeg: { abs: string; name: string; size: number };
  mov: { abs: string; name: string; size: number };
}

export interface Item {
  /** Path below the drive root with on-disk names ('' for the root); for trashed items, the path they had. */
  rel: string;
  abs: string;
  name: string;
  stat: Stats;
  /** "root" for the root. */
  id: string;
  /** "root" for top-level items, "" for the root itself. */
  parentId: string;
  kind: Kind;
  /** Bytes of a file or live photo (0 for folders). */
  size: number;
  livp?: LivpParts;
  isRoot: boolean;
  trashed: boolean;
}

type State = 'live' | 'trashed' | 'displaced';

/** An item kept outside the tree (recycle bin or displaced duplicate). */
interface Parked {
  abs: string;
  rel: string;
  name: string;
  parentId: string;
}

const visible = (d: Dirent): boolean => d.isFile() || d.isDirectory();
const extOf = (name: string): string => {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
};

/** Is `abs` (a folder named `name`) a live photo? Returns its two parts if so. */
export async function livpParts(abs: string, name: string): Promise<LivpParts | null> {
  if (extOf(name) !== 'livp') return null;
  const kids = (await readdirOrEmpty(abs)).filter(visible);
  if (kids.length !== 2 || !kids.every((d) => d.isFile())) return null;
  const jpeg = kids.find((d) => ['jpeg', 'jpg'].includes(extOf(d.name)));
  const mov = kids.find((d) => extOf(d.name) === 'mov');
  if (!jpeg || !mov) return null;
  const [js, ms] = await Promise.all([lstatOrNull(path.join(abs, jpeg.name)), lstatOrNull(path.join(abs, mov.name))]);
  if (!js || !ms) return null;
  return {
    jpeg: { abs: path.join(abs, jpeg.name), name: jpeg.name, size: js.size },
    mov: { abs: path.join(abs, mov.name), name: mov.name, size: ms.size },
  };
}

export class AliDrive {
  readonly root: string;
  readonly driveId: string;
  /** Serialises check-then-act changes (conflict check + rename into place). */
  readonly lock = new Mutex();
  /** Uploads, copies and the recycle bin live here, outside the backing folder. */
  readonly staging: Staging;
  private readonly idToRel = new Map<string, string>();
  /** file key → id, for items whose inode changed under an id we handed out. */
  private readonly idOverrides = new Map<string, string>();
  private readonly trash = new Map<string, Parked>();
  private readonly displaced = new Map<string, Parked>();

  constructor(root: string, driveId: string) {
    this.root = path.resolve(root);
    this.driveId = driveId;
    this.staging = new Staging(this.root);
  }

  // ---- identities ---------------------------------------------------------

  static fileKey(st: Stats): string {
    const birth = Math.round(st.birthtimeMs * 1000);
    return birth > 0 ? `${st.dev}.${st.ino}.${birth.toString(36)}` : `${st.dev}.${st.ino}`;
  }

  idFor(st: Stats): string {
    const key = AliDrive.fileKey(st);
    return this.idOverrides.get(key) ?? createHash('sha1').update(`${this.driveId}:${key}`).digest('hex');
  }

  /** Keeps `id` for the item now at `st` (e.g. an upload committed across filesystems). */
  keepId(st: Stats, id: string): void {
    this.idOverrides.set(AliDrive.fileKey(st), id);
  }

  absOf(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, ...rel.split('/'));
  }

  private async makeItem(rel: string, abs: string, st: Stats, parentId: string, state: State = 'live'): Promise<Item> {
    const trashed = state === 'trashed';
    const isRoot = rel === '' && state === 'live';
    const name = isRoot ? 'root' : baseName(rel);
    const id = isRoot ? 'root' : this.idFor(st);
    let kind: Kind = st.isDirectory() ? 'folder' : 'file';
    let size = st.isFile() ? st.size : 0;
    let livp: LivpParts | undefined;
    if (kind === 'folder' && !isRoot) {
      const parts = await livpParts(abs, name);
      if (parts) {
        kind = 'livp';
        livp = parts;
        size = parts.jpeg.size + parts.mov.size;
      }
    }
    if (state === 'live' && !isRoot) this.idToRel.set(id, rel);
    return { rel, abs, name, stat: st, id, parentId, kind, size, livp, isRoot, trashed };
  }

  /** The item at an exact on-disk relative path (not trashed), or null. */
  async itemAt(rel: string, parentId?: string): Promise<Item | null> {
    const abs = this.absOf(rel);
    const st = await lstatOrNull(abs);
    if (!st || !(st.isFile() || st.isDirectory())) return null;
    if (rel === '') return this.makeItem('', abs, st, '');
    return this.makeItem(rel, abs, st, parentId ?? (await this.idOfFolder(parentRel(rel))));
  }

  async rootItem(): Promise<Item> {
    const r = await this.itemAt('');
    if (!r || r.kind !== 'folder') throw new Error(`drive root ${this.root} is not a directory`);
    return r;
  }

  private async idOfFolder(rel: string): Promise<string> {
    if (rel === '') return 'root';
    const st = await lstatOrNull(this.absOf(rel));
    return st ? this.idFor(st) : '';
  }

  // ---- lookups --------------------------------------------------------------

  /** A live item by id (in the tree or displaced; not trashed). */
  async resolveId(id: string): Promise<Item | null> {
    if (id === 'root') return this.rootItem();
    const known = this.idToRel.get(id);
    if (known !== undefined) {
      const it = await this.itemAt(known);
      if (it && it.id === id) return it;
      this.idToRel.delete(id);
    }
    const d = await this.parked(this.displaced, id, 'displaced');
    if (d) return d;
    for await (const it of this.walk()) if (it.id === id) return it;
    return null;
  }

  /** A trashed item by id. */
  trashedItem(id: string): Promise<Item | null> {
    return this.parked(this.trash, id, 'trashed');
  }

  private async parked(map: Map<string, Parked>, id: string, state: State): Promise<Item | null> {
    const t = map.get(id);
    if (!t) return null;
    const st = await lstatOrNull(t.abs);
    if (!st || this.idFor(st) !== id) {
      map.delete(id); // deleted, or moved back into the tree
      return null;
    }
    return this.makeItem(t.rel, t.abs, st, t.parentId, state);
  }

  /** Path segments below the root, matched exactly; a live photo has no children. */
  async resolvePath(segments: string[]): Promise<Item | null> {
    let cur = await this.rootItem();
    for (const seg of segments) {
      if (cur.kind !== 'folder' || !isSafeSegment(seg)) return null;
      const next = await this.itemAt(joinRel(cur.rel, seg), cur.id);
      if (!next) return null;
      cur = next;
    }
    return cur;
  }

  /** The visible children of a folder, unsorted. */
  async children(dir: Item): Promise<Item[]> {
    const names = (await readdirOrEmpty(dir.abs)).filter(visible).map((d) => d.name);
    const out: Array<Item | null> = new Array(names.length).fill(null);
    let next = 0;
    // Bounded parallelism: fast on big folders without exhausting descriptors.
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const i = next++;
        out[i] = await this.itemAt(joinRel(dir.rel, names[i]), dir.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, names.length) }, worker));
    return out.filter((e): e is Item => e !== null);
  }

  /** Breadth-first walk of every live item, root first (live photos are not entered). */
  async *walk(): AsyncGenerator<Item> {
    const queue: Item[] = [await this.rootItem()];
    while (queue.length > 0) {
      const dir = queue.shift()!;
      yield dir;
      for (const c of await this.children(dir)) {
        if (c.kind === 'folder') queue.push(c);
        else yield c;
      }
    }
  }

  /** Is `maybeInside` the folder `dir` itself or somewhere below it? */
  static contains(dir: Item, maybeInside: Item): boolean {
    return dir.isRoot || maybeInside.rel === dir.rel || maybeInside.rel.startsWith(`${dir.rel}/`);
  }

  // ---- recycle bin ------------------------------------------------------------

  /** Moves a live item into the recycle bin (bytes kept). */
  moveToTrash(it: Item): Promise<void> {
    return this.park(this.trash, it);
  }

  /** Moves an item out of the tree, keeping it addressable by id (see the header). */
  displace(it: Item): Promise<void> {
    return this.park(this.displaced, it);
  }

  private async park(map: Map<string, Parked>, it: Item): Promise<void> {
    const dest = await this.staging.newPath();
    const st = await lstatOrNull(it.abs);
    await moveInto(it.abs, dest);
    const after = await lstatOrNull(dest);
    if (st && after && this.idFor(after) !== it.id) this.keepId(after, it.id); // moved across filesystems
    this.displaced.delete(it.id);
    map.set(it.id, { abs: dest, rel: it.rel, name: it.name, parentId: it.parentId });
    this.idToRel.delete(it.id);
    // A parked folder's descendants go with it: forget their paths.
    for (const [id, rel] of this.idToRel) if (rel.startsWith(`${it.rel}/`)) this.idToRel.delete(id);
  }

  forgetTrashed(id: string): void {
    this.trash.delete(id);
  }

  /** Bytes held outside the tree: the recycle bin and displaced items. */
  async parkedBytes(): Promise<number> {
    let total = 0;
    for (const t of [...this.trash.values(), ...this.displaced.values()]) total += await treeBytes(t.abs);
    return total;
  }

  /** Bytes of live files (live photos count both parts). */
  async liveBytes(): Promise<number> {
    return treeBytes(this.root);
  }
}

/** Sum of regular file sizes below `abs` (a file counts itself). */
export async function treeBytes(abs: string): Promise<number> {
  const st = await lstatOrNull(abs);
  if (!st) return 0;
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  let total = 0;
  const pending = [abs];
  while (pending.length > 0) {
    const d = pending.pop()!;
    for (const e of await readdirOrEmpty(d)) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) pending.push(p);
      else if (e.isFile()) total += (await lstatOrNull(p))?.size ?? 0;
    }
  }
  return total;
}

export function joinRel(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

export function parentRel(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Guards the backing folder: a name must stay one path component. */
export function isSafeSegment(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

export async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch {
    return null;
  }
}

async function readdirOrEmpty(p: string): Promise<Dirent[]> {
  try {
    return await readdir(p, { withFileTypes: true });
  } catch {
    return [];
  }
}
