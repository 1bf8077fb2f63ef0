// A drive backed by a real folder. The folder is the single source of truth:
// tests seed it and compare bytes with it directly, so nothing is cached that
// could go stale, except lookups that are re-verified against lstat().
//
// Item ids come from (inode, birth time): stable across renames and moves, and
// an inode number reused after a delete gets a different id because the birth
// time differs. An id → path map makes lookups cheap; a miss (e.g. the item
// was renamed behind our back) falls back to walking the tree.
//
// Names are case-insensitive and case-preserving like OneDrive, while the
// backing folder is case-sensitive, so path segments are resolved by trying
// the exact name first and then scanning the directory.
//
// Only regular files and directories are exposed; symlinks, sockets etc. are
// invisible (OneDrive has no such things).

import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

import { Mutex } from '../common/mutex.js';
import { Staging } from './staging.js';
import { baseName } from '../../util/posix-path.js';

export type DriveType = 'personal' | 'business' | 'documentLibrary';

export interface Entry {
  /** Path below the drive root with on-disk names, '/'-separated; '' for the root. */
  rel: string;
  abs: string;
  /** 'root' for the root item, like Graph. */
  name: string;
  stat: Stats;
  id: string;
  isDir: boolean;
  isRoot: boolean;
}

/** Graph compares names case-insensitively (ordinal ignore case). */
export const foldName = (s: string): string => s.toUpperCase();

/** Listing order: case-insensitive, ties broken by exact code units (total order). */
export function compareNames(a: string, b: string): number {
  const fa = foldName(a);
  const fb = foldName(b);
  if (fa !== fb) return fa < fb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

const visible = (d: Dirent): boolean => d.isFile() || d.isDirectory();

/** How long an mtime must be in the past before caches keyed by it are trusted. */
export const QUIET_MS = 1000;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(buf: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export interface DriveStoreOptions {
  root: string;
  driveId: string;
  driveType: DriveType;
  /** For SharePoint document libraries. */
  siteId?: string;
}

export class DriveStore {
  readonly root: string;
  readonly driveId: string;
  readonly driveType: DriveType;
  readonly siteId?: string;
  /** Serialises check-then-act changes (conflict check + rename into place). */
  readonly lock = new Mutex();
  /** Where uploads and copies are assembled before being renamed into place. */
  readonly staging: Staging;
  private readonly idToRel = new Map<string, string>();
  /**
   * file key → id, for items whose inode changed while the item did not (a
   * file replaced by an upload keeps its id on OneDrive). In memory only.
   */
  private readonly idOverrides = new Map<string, string>();
  /** file key → createdDateTime (ms) set by a client; Linux cannot set birth times. */
  private readonly createdOverrides = new Map<string, number>();
  /** Sorted child names of big folders, by directory version (see childNames). */
  private readonly listings = new Map<string, { version: string; names: string[] }>();
  private readonly folderSizes = new Map<string, { at: number; bytes: number }>();
  private usedCache: { at: number; bytes: number } | null = null;
  private usedPending: Promise<number> | null = null;

  constructor(opts: DriveStoreOptions) {
    this.root = path.resolve(opts.root);
    this.driveId = opts.driveId;
    this.driveType = opts.driveType;
    this.siteId = opts.siteId;
    this.staging = new Staging(this.root);
  }

  // ---- identities -------------------------------------------------------

  static fileKey(st: Stats): string {
    const birth = Math.round(st.birthtimeMs * 1000);
    return birth > 0 ? `${st.ino}.${birth.toString(36)}` : String(st.ino);
  }

  idFor(st: Stats): string {
    const key = DriveStore.fileKey(st);
    const override = this.idOverrides.get(key);
    if (override) return override;
    if (this.driveType === 'personal') return `${this.driveId.toUpperCase()}!${key.replace('.', 's')}`;
    // Business / SharePoint ids look like 01 + 32 base32 characters.
    return '01' + base32(createHash('sha1').update(`${this.driveId}:${key}`).digest()).slice(0, 32);
  }

  /** Keeps `id` for the file now at `st` (used when content is replaced). */
  keepId(st: Stats, id: string): void {
    this.idOverrides.set(DriveStore.fileKey(st), id);
  }

  setCreated(st: Stats, ms: number): void {
    this.createdOverrides.set(DriveStore.fileKey(st), ms);
  }

  /** createdDateTime: a client-set value, else birth time (never after mtime). */
  createdMs(st: Stats): number {
    const o = this.createdOverrides.get(DriveStore.fileKey(st));
    if (o !== undefined) return o;
    const birth = st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs;
    return Math.min(birth, st.mtimeMs);
  }

  absOf(rel: string): string {
    return rel === '' ? this.root : path.join(this.root, ...rel.split('/'));
  }

  private makeEntry(rel: string, st: Stats): Entry {
    const id = this.idFor(st);
    this.idToRel.set(id, rel);
    const isRoot = rel === '';
    return { rel, abs: this.absOf(rel), name: isRoot ? 'root' : baseName(rel), stat: st, id, isDir: st.isDirectory(), isRoot };
  }

  /** The entry at an exact on-disk relative path, or null. */
  async entryAt(rel: string): Promise<Entry | null> {
    const st = await lstatOrNull(this.absOf(rel));
    if (!st || !(st.isFile() || st.isDirectory())) return null;
    return this.makeEntry(rel, st);
  }

  async rootEntry(): Promise<Entry> {
    const e = await this.entryAt('');
    if (!e || !e.isDir) throw new Error(`drive root ${this.root} is not a directory`);
    return e;
  }

  // ---- lookups ------------------------------------------------------------

  /**
   * Resolves decoded path segments below `from` (default: the root),
   * case-insensitively. Returns null if any segment is missing, or if a
   * non-final segment is a file.
   */
  async resolvePath(segments: string[], from?: Entry): Promise<Entry | null> {
    let cur = from ?? (await this.rootEntry());
    for (const seg of segments) {
      if (!cur.isDir) return null;
      const actual = await this.findChildName(cur, seg);
      if (actual === null) return null;
      const next = await this.entryAt(joinRel(cur.rel, actual));
      if (!next) return null;
      cur = next;
    }
    return cur;
  }

  /** The on-disk name of `dir`'s child matching `name` case-insensitively. */
  async findChildName(dir: Entry, name: string): Promise<string | null> {
    if (!isSafeSegment(name)) return null;
    const exact = await lstatOrNull(path.join(dir.abs, name));
    if (exact && (exact.isFile() || exact.isDirectory())) return name;
    const folded = foldName(name);
    let match: string | null = null;
    for (const d of await readdirOrEmpty(dir.abs)) {
      if (!visible(d) || foldName(d.name) !== folded) continue;
      // Two on-disk names differing only in case cannot exist on OneDrive;
      // pick the first in listing order so the choice is at least stable.
      if (match === null || compareNames(d.name, match) < 0) match = d.name;
    }
    return match;
  }

  async resolveId(id: string): Promise<Entry | null> {
    const known = this.idToRel.get(id);
    if (known !== undefined) {
      const e = await this.entryAt(known);
      if (e && e.id === id) return e;
      this.idToRel.delete(id);
    }
    for await (const e of this.walk()) if (e.id === id) return e;
    return null;
  }

  /** Breadth-first walk of every item, root first. Records ids as it goes. */
  async *walk(): AsyncGenerator<Entry> {
    const queue: Entry[] = [await this.rootEntry()];
    while (queue.length > 0) {
      const dir = queue.shift()!;
      yield dir;
      if (!dir.isDir) continue;
      const names = await this.childNames(dir);
      const entries = await this.entriesOf(dir, names);
      for (const e of entries) {
        if (e.isDir) queue.push(e);
        else yield e;
      }
    }
  }

  // ---- listings -----------------------------------------------------------

  /**
   * Names of the visible children of a folder, in listing order. Paging a big
   * folder asks for this once per page, so the sorted list is cached per
   * directory version (a directory's mtime changes whenever an entry is
   * added, removed or renamed in it).
   */
  async childNames(dir: Entry): Promise<string[]> {
    const version = `${dir.stat.ino}:${dir.stat.mtimeMs}:${dir.stat.ctimeMs}`;
    const hit = this.listings.get(dir.abs);
    if (hit && hit.version === version) return hit.names;
    const keyed: Array<{ name: string; key: string }> = [];
    for (const d of await readdirOrEmpty(dir.abs)) if (visible(d)) keyed.push({ name: d.name, key: foldName(d.name) });
    keyed.sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.name === b.name ? 0 : a.name < b.name ? -1 : 1));
    const names = keyed.map((k) => k.name);
    // File timestamps come from a coarse kernel clock, so two changes within
    // one tick can leave the same mtime: only trust a version that is old.
    if (names.length >= 256 && Date.now() - dir.stat.mtimeMs > QUIET_MS) {
      if (this.listings.size >= 64) this.listings.delete(this.listings.keys().next().value!);
      this.listings.set(dir.abs, { version, names });
    }
    return names;
  }

  /**
   * Recursive size of a folder (OneDrive reports folder sizes that way).
   * Memoised for a moment, per folder at every depth: listings report it for
   * every subfolder, and a walk down the tree would otherwise add up each
   * subtree again at every level. A sum built from memoised parts counts as
   * old as its oldest part, so no answer is older than `maxAgeMs`.
   */
  async folderSize(dir: Entry, maxAgeMs = 2000): Promise<number> {
    return (await this.sizeOf(dir, maxAgeMs)).bytes;
  }

  private async sizeOf(dir: Entry, maxAgeMs: number): Promise<{ at: number; bytes: number }> {
    const hit = this.folderSizes.get(dir.abs);
    if (hit && Date.now() - hit.at <= maxAgeMs) return hit;
    let at = Date.now();
    let bytes = 0;
    for (const child of await this.entriesOf(dir, await this.childNames(dir))) {
      if (!child.isDir) {
        bytes += child.stat.size;
        continue;
      }
      const sub = await this.sizeOf(child, maxAgeMs);
      bytes += sub.bytes;
      at = Math.min(at, sub.at);
    }
    if (this.folderSizes.size >= 4096) this.folderSizes.clear();
    const sum = { at, bytes };
    this.folderSizes.set(dir.abs, sum);
    return sum;
  }

  async childCount(abs: string): Promise<number> {
    let n = 0;
    for (const d of await readdirOrEmpty(abs)) if (visible(d)) n++;
    return n;
  }

  /** Entries for the given child names (those that vanished meanwhile are skipped). */
  async entriesOf(dir: Entry, names: string[]): Promise<Entry[]> {
    const out: Array<Entry | null> = new Array(names.length).fill(null);
    // Bounded parallelism: fast on big folders without exhausting descriptors.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const i = next++;
        out[i] = await this.entryAt(joinRel(dir.rel, names[i]));
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, names.length) }, worker));
    return out.filter((e): e is Entry => e !== null);
  }

  /** The entry of the folder containing `e` (null for the root). */
  async parentOf(e: Entry): Promise<Entry | null> {
    if (e.isRoot) return null;
    return this.entryAt(parentRel(e.rel));
  }

  // ---- quota --------------------------------------------------------------

  /** Sum of file sizes; cached briefly because it walks the whole tree. */
  async usedBytes(maxAgeMs = 1000): Promise<number> {
    if (this.usedCache && Date.now() - this.usedCache.at <= maxAgeMs) return this.usedCache.bytes;
    if (!this.usedPending) {
      this.usedPending = (async () => {
        let bytes = 0;
        for await (const e of this.walk()) if (!e.isDir) bytes += e.stat.size;
        this.usedCache = { at: Date.now(), bytes };
        return bytes;
      })().finally(() => {
        this.usedPending = null;
      });
    }
    return this.usedPending;
  }

  /** Call after the emulator itself changed content, so quota is recomputed. */
  invalidateUsage(): void {
    this.usedCache = null;
    this.folderSizes.clear();
  }
}

export function joinRel(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

export function parentRel(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Guards the backing folder: a decoded segment must stay one path component. */
export function isSafeSegment(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

async function lstatOrNull(p: string): Promise<Stats | null> {
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
