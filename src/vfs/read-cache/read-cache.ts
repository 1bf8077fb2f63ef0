import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RemoteEntry } from '../../drives/types.js';
import type { Logger } from '../../util/log.js';
import { INDEX_FILES, loadIndex, saveIndex, type IndexRecord } from './cache-index.js';
import { CachedItem } from './cached-item.js';

export interface ReadCacheOptions {
  /** The folder holding the data files and the index (created if absent). */
  dir: string;
  /** Bytes held at most; least recently used items go first. */
  maxBytes: number;
  /** Free space kept on the cache's filesystem; below it, items are evicted as for the size limit. */
  minFreeBytes: number;
}

/** How often the index is written while bytes arrive (and always at close). */
const SAVE_DELAY_MS = 2000;
/** Bytes cached between two checks of the filesystem's free space. */
const FREE_CHECK_BYTES = 32 << 20;

/**
 * The on-disk read cache (`--cache-mode full`): bytes read from the service kept in one sparse
 * file per item and version, with the spans held recorded in an index that survives restarts.
 * It sits between the read-ahead and the drive as a content source wrapper (after
 * mountpoint-s3's caching part stream), so it works alike for every driver. An item's bytes are
 * used only for the version (OneDrive eTag, Aliyundrive content hash, else a reported content
 * hash) they were fetched for; items without any version are not cached, so nothing is stale.
 */
export class ReadCache {
  private readonly items = new Map<string, CachedItem>();
  private saveTimer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();
  private sinceFreeCheck = 0;
  /** Bytes held by every item (kept as items store and go, not summed per piece). */
  private held = 0;
  private closed = false;

  private constructor(readonly o: ReadCacheOptions, private readonly log: Logger) {}

  /** Open the cache folder: the index is checked against the data files, strays are removed, limits enforced. */
  static async open(o: ReadCacheOptions, log: Logger): Promise<ReadCache> {
    await fs.mkdir(o.dir, { recursive: true, mode: 0o700 });
    const c = new ReadCache(o, log);
    const records = await loadIndex(o.dir);
    const kept = new Set<string>();
    for (const r of records) {
      const st = await fs.stat(path.join(o.dir, r.file)).catch(() => undefined);
      if (!st?.isFile() || r.file !== dataFileName(r.id, r.version)) continue;
      // A span past the data file's end was never written (the index ran ahead of a lost write).
      const spans = r.spans.filter(([, b]) => b <= st.size);
      const item = new CachedItem(c, r.id, r.version, r.size, path.join(o.dir, r.file), spans, r.lastUsed);
      c.items.set(r.id, item);
      c.held += item.heldBytes;
      kept.add(r.file);
    }
    for (const name of await fs.readdir(o.dir)) {
      if (!kept.has(name) && !INDEX_FILES.has(name)) await fs.rm(path.join(o.dir, name), { force: true, recursive: true });
    }
    await c.evict();
    c.scheduleSave();
    log.debug({ dir: o.dir, items: c.items.size, bytes: c.heldBytes() }, 'read cache opened');
    return c;
  }

  /** The version a cached copy of `entry` is tied to; none means it is not cached. */
  static versionOf(entry: RemoteEntry): string | undefined {
    const h = entry.hashes;
    return entry.version ?? h?.quickXor ?? h?.sha1 ?? h?.sha256;
  }

  /**
   * The cached copy for this entry as listed now, opened for a reader (release it with
   * `CachedItem.release`). A copy of another version or size is dropped first: never stale.
   */
  attach(entry: RemoteEntry): CachedItem | undefined {
    const version = ReadCache.versionOf(entry);
    if (this.closed || version === undefined || entry.isDir) return undefined;
    let item = this.items.get(entry.id);
    if (item && (item.version !== version || item.size !== entry.size)) {
      this.log.debug({ id: entry.id }, 'read cache: the item changed on the service; dropping its cached copy');
      this.drop(entry.id);
      item = undefined;
    }
    if (!item) {
      item = new CachedItem(this, entry.id, version, entry.size, path.join(this.o.dir, dataFileName(entry.id, version)), [], Date.now());
      this.items.set(entry.id, item);
    }
    item.attach();
    return item;
  }

  /** The item changed or went away (written through the mount, removed, failed its hash): forget its bytes. */
  drop(id: string): void {
    const item = this.items.get(id);
    if (!item) return;
    this.items.delete(id);
    this.held -= item.heldBytes;
    item.discard();
    this.scheduleSave();
  }

  /** Bytes held by every item. */
  heldBytes(): number {
    return this.held;
  }

  /**
   * Room for `bytes` more, evicting files nobody reads if need be; false when the cache is full of
   * files being read. Reserved bytes count as held until `stored` settles them.
   */
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.o.maxBytes) this.evictIdle(this.o.maxBytes - bytes);
    if (this.held + bytes > this.o.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  /** An item's store of `reserved` bytes ended with `added` new bytes held (0 if it failed or was dropped). */
  stored(added: number, reserved: number): void {
    this.held += added - reserved;
    if (added === 0) return;
    this.scheduleSave();
    this.sinceFreeCheck += added;
    if (this.sinceFreeCheck >= FREE_CHECK_BYTES) {
      this.sinceFreeCheck = 0;
      void this.evict();
    }
  }

  /** Evict least recently used items until within the size limit and above the free-space floor. */
  async evict(): Promise<void> {
    this.evictIdle(this.o.maxBytes);
    const short = await this.freeShortfall();
    if (short > 0) this.evictIdle(this.held - short);
  }

  /**
   * Drop least recently used items until at most `target` bytes are held. An item being read
   * stays: its reader would lose the bytes under it (it goes once closed, if still needed).
   */
  private evictIdle(target: number): void {
    if (this.held <= target) return;
    for (const item of [...this.items.values()].sort((x, y) => x.lastUsed - y.lastUsed)) {
      if (this.held <= target) break;
      if (item.users > 0) continue;
      this.log.debug({ id: item.id, bytes: item.heldBytes }, 'read cache: evicting');
      this.drop(item.id);
    }
  }

  private async freeShortfall(): Promise<number> {
    if (this.o.minFreeBytes <= 0) return 0;
    try {
      const s = await fs.statfs(this.o.dir);
      return this.o.minFreeBytes - s.bavail * s.bsize;
    } catch {
      return 0;
    }
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  private save(): Promise<void> {
    const records: IndexRecord[] = [...this.items.values()].filter((i) => i.heldBytes > 0).map((i) => i.record());
    this.saving = this.saving
      .then(() => saveIndex(this.o.dir, records))
      .catch((e: unknown) => this.log.warn({ dir: this.o.dir, err: (e as Error).message }, 'read cache: cannot write its index'));
    return this.saving;
  }

  /** Write the index and close the data files; the cache is kept for the next mount. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await Promise.all([...this.items.values()].map((i) => i.settle()));
    await this.save();
    this.closed = true;
    await Promise.all([...this.items.values()].map((i) => i.closeFile()));
  }

  /** One log line for a data file that cannot be written: the item is read from the service alone. */
  storeFailed(item: CachedItem, e: Error): void {
    this.log.warn({ id: item.id, err: e.message }, 'read cache: cannot store downloaded bytes; reading this file without the cache');
    this.drop(item.id);
  }
}

/** One data file per item and version: a new version never reads an old version's bytes. */
function dataFileName(id: string, version: string): string {
  return `${createHash('sha256').update(id).update('\0').update(version).digest('hex').slice(0, 40)}.data`;
}
