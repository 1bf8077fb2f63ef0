import { LRUCache } from 'lru-cache';
import type { Drive, RemoteChange, RemoteEntry } from '../drives/types.js';
import { DriveError } from '../util/errors.js';
import { splitPath } from '../util/posix-path.js';
import { placeChanges } from './change-placement.js';
import { IdIndex } from './id-index.js';
import { Listing } from './listing.js';

export interface MetadataCacheOptions {
  /** How long listings and stats are trusted (rclone's --dir-cache-time). */
  ttlMs: number;
  /** How long "no such file" is remembered: short, so files made elsewhere show up soon. */
  negativeTtlMs: number;
  /** Folder listings kept at most. */
  maxDirs?: number;
  /** Single stats kept at most. */
  maxEntries?: number;
  /**
   * Approximate bytes all cached listings may take (least recently used go first). One listing
   * may take all of it: a folder bigger than that is listed again on every miss.
   */
  maxListingBytes?: number;
  /** Approximate bytes single stats may take. */
  maxEntryBytes?: number;
}

/** What one remote change did to the cache, for those holding the item open. */
export interface AppliedChange {
  id: string;
  /** The new state; undefined when the item is gone (or moved out of the mount). */
  entry?: RemoteEntry;
}

/**
 * A listing longer than this keeps no download links: at several hundred bytes each they would be
 * most of a big folder's memory, and a file opened from it costs one call for its link instead.
 */
export const MAX_LISTED_LINKS = 1000;

/**
 * Default bound of cached listings, in their estimated bytes: about 200,000 entries of Graph
 * (ids, version tags and a hash each), so one 100,000-entry folder stays cached whole.
 */
export const DEFAULT_LISTING_BYTES = 64 << 20;

/** Default bound of single stats (items whose folder is not listed). */
export const DEFAULT_ENTRY_BYTES = 8 << 20;

/**
 * Rough heap bytes of a single cached entry (object, strings, link, hashes): enough to bound the
 * cache by memory rather than by count, since one entry with a link is several times one without.
 */
export function entryBytes(e: RemoteEntry): number {
  let n = 160 + e.name.length + e.id.length + (e.version?.length ?? 0);
  if (e.link) n += 64 + e.link.url.length;
  if (e.hashes) n += 96;
  return n;
}

export interface CacheCounters {
  listings: number;
  stats: number;
  hits: number;
}

/**
 * A cached listing, in a box of its own: lru-cache measures a value only when a different value
 * is set, so a listing changed in place is set again in a new box to be measured again.
 */
interface Held {
  readonly listing: Listing;
}
const MISSING = Symbol('missing');

/**
 * Folder listings and stats, keyed by mount path. A listing also answers lookups of its
 * children, so `ls -l` of a folder costs the listing's pages and nothing per file. Concurrent
 * misses for the same key share one remote call.
 */
export class MetadataCache {
  readonly counters: CacheCounters = { listings: 0, stats: 0, hits: 0 };
  private readonly dirs: LRUCache<string, Held>;
  private readonly entries: LRUCache<string, RemoteEntry | typeof MISSING>;
  private readonly inflightDirs = new Map<string, Promise<Listing>>();
  /** Folders whose own attributes (time, size) the service changed when a child changed. */
  private readonly stale = new Set<string>();
  private readonly inflightStats = new Map<string, Promise<RemoteEntry>>();
  private readonly inflightSizes = new Map<string, Promise<RemoteEntry>>();
  /**
   * Changes made through the mount while a listing of their folder is on its way: the answer was
   * taken before them, so they are laid over it when it arrives (else a listing started before
   * a utimens or a rename would put the old state back).
   */
  private readonly changedDuringListing = new Map<string, Map<string, RemoteEntry | typeof MISSING>>();
  /** Paths changed through the mount while a stat of them was on its way (its answer is older). */
  private readonly changedDuringStat = new Set<string>();
  /** Folders reported changed while a listing of them was on its way: that answer is not kept. */
  private readonly listedTooEarly = new Set<string>();

  /** Where each cached item is, by id, for the changes the service reports by id. */
  private readonly ids = new IdIndex();
  /** Bumped by `clear`: listings and stats answered from before it are not kept. */
  private generation = 0;
  /** Counts changes made through the mount; `localChanges` remembers each path's last one. */
  private localMark = 0;
  private readonly localChanges = new LRUCache<string, number>({ max: 16_384 });

  constructor(private readonly drive: Drive, private readonly opts: MetadataCacheOptions) {
    // lru-cache reads ttl 0 as "never expires"; --dir-cache-time 0 means "do not keep".
    const ttl = Math.max(1, opts.ttlMs);
    const maxSize = opts.maxListingBytes ?? DEFAULT_LISTING_BYTES;
    this.dirs = new LRUCache({
      max: opts.maxDirs ?? 20_000,
      maxSize,
      maxEntrySize: maxSize,
      // A listing keeps its estimate up to date; it is measured again after each change (`resized`).
      sizeCalculation: (h) => Math.max(1, h.listing.bytes),
      ttl,
      ttlAutopurge: false,
      // lru-cache calls this before the listing leaves; one replaced by a newer listing of the same
      // folder is indexed again right after (setListing).
      dispose: (h, path) => this.ids.listingGone(path, h.listing),
    });
    const entryMax = opts.maxEntryBytes ?? DEFAULT_ENTRY_BYTES;
    this.entries = new LRUCache({
      // lru-cache allocates its arrays for `max` up front (50,000 took 3 MB): bytes bound it first.
      max: opts.maxEntries ?? 16_384,
      maxSize: entryMax,
      maxEntrySize: entryMax,
      sizeCalculation: (e) => (e === MISSING ? 64 : entryBytes(e)),
      ttl,
      ttlAutopurge: false,
      // After removal (lru-cache's `dispose` runs before it): a path set again to the same entry
      // keeps its index, anything else unindexes the id.
      disposeAfter: (e, path) => {
        if (e !== MISSING && this.entries.peek(path) !== e) this.ids.statGone(path, e.id);
      },
    });
  }

  /** Cached listings' approximate bytes (bounded by maxListingBytes). */
  get listingBytes(): number {
    return this.dirs.calculatedSize ?? 0;
  }

  /** Entries held in cached listings, for tests and stats. */
  get listedEntries(): number {
    let n = 0;
    for (const h of this.dirs.values()) n += h.listing.size;
    return n;
  }

  async lookup(path: string): Promise<RemoteEntry> {
    const e = await this.lookupCached(path);
    return e.sizeUnknown && this.drive.learnSize ? this.learnSize(path, e) : e;
  }

  /** A listed entry whose size costs a call to learn: learnt once, then kept like any other. */
  private learnSize(path: string, listed: RemoteEntry): Promise<RemoteEntry> {
    return this.singleFlight(this.inflightSizes, path, async () => {
      const e = await this.drive.learnSize!(path, listed);
      const now = this.cachedEntry(path);
      // Changed through the mount meanwhile (renamed over, uploaded, removed): the newer state stays.
      if (now === MISSING) throw notFound(path);
      if (!now || (now.id === listed.id && now.mtimeMs === listed.mtimeMs)) this.put(path, e);
      return e;
    });
  }

  /** What the cache holds for `path`: an entry, MISSING (known not to exist), or undefined (not known). */
  private cachedEntry(path: string): RemoteEntry | typeof MISSING | undefined {
    const { parent, name } = splitPath(path);
    return this.dirs.get(parent)?.listing.get(name) ?? this.entries.get(path);
  }

  private async lookupCached(path: string): Promise<RemoteEntry> {
    if (this.stale.has(path)) return this.restat(path);
    if (path !== '/') {
      const { parent, name } = splitPath(path);
      const siblings = this.dirs.get(parent)?.listing;
      if (siblings) {
        this.counters.hits++;
        const e = siblings.get(name);
        if (!e) throw notFound(path);
        return e;
      }
    }
    const cached = this.entries.get(path);
    if (cached !== undefined) {
      this.counters.hits++;
      if (cached === MISSING) throw notFound(path);
      return cached;
    }
    if (path !== '/' && !this.drive.capabilities.pathLookup) {
      // No lookup by path on this service: list the parent, which answers for every sibling too.
      const { parent, name } = splitPath(path);
      // The listing itself answers: with a very short cache time it may be gone from the cache already.
      const e = (await this.listing(parent)).get(name);
      if (!e) throw notFound(path);
      return e;
    }
    return this.singleFlight(this.inflightStats, path, async () => {
      this.counters.stats++;
      try {
        const gen = this.generation;
        const e = await this.drive.stat(path);
        if (this.changedDuringStat.has(path)) return this.newerThanStat(path, e);
        if (gen === this.generation) this.setEntry(path, e);
        return e;
      } catch (err) {
        if (this.changedDuringStat.has(path)) return this.newerThanStat(path, undefined, err);
        if (err instanceof DriveError && err.code === 'ENOENT') this.entries.set(path, MISSING, { ttl: this.opts.negativeTtlMs });
        throw err;
      }
    });
  }

  /** A stat answered, but the path changed through the mount meanwhile: what the change left wins. */
  private newerThanStat(path: string, answered: RemoteEntry | undefined, err?: unknown): RemoteEntry {
    const now = this.entries.get(path);
    if (now === MISSING) throw notFound(path);
    if (now) return now;
    if (answered) return answered;
    throw err;
  }

  /** Every child of a folder, as entry objects (small callers; readdir uses `listing`). */
  async list(path: string): Promise<RemoteEntry[]> {
    return (await this.listing(path)).entries();
  }

  /**
   * A folder's children as the cache holds them (in columns: see Listing). The answer is the
   * cached listing itself: read it at once, since later changes land in it.
   */
  async listing(path: string): Promise<Listing> {
    const cached = this.dirs.get(path);
    if (cached) {
      this.counters.hits++;
      return cached.listing;
    }
    return this.singleFlight(this.inflightDirs, path, async () => {
      const gen = this.generation;
      const dir = await this.lookup(path);
      if (!dir.isDir) throw new DriveError('ENOTDIR', `${path} is not a folder`);
      this.counters.listings++;
      const changes = new Map<string, RemoteEntry | typeof MISSING>();
      this.changedDuringListing.set(path, changes);
      try {
        const listing = new Listing();
        // Page by page where the driver can: a page's entries go into columns and its objects
        // (and the JSON they came from) are garbage before the next page arrives.
        for await (const page of this.pages(path, dir)) {
          for (const e of page) {
            // A link is optional (without one, a read asks for it): a big folder keeps none.
            if (listing.size === MAX_LISTED_LINKS) listing.dropLinks();
            listing.set(e.name, e);
          }
        }
        for (const [name, e] of changes) {
          if (e === MISSING) listing.delete(name);
          else listing.set(name, e);
        }
        if (gen === this.generation && !this.listedTooEarly.has(path)) this.setListing(path, dir.id, listing);
        return listing;
      } finally {
        this.listedTooEarly.delete(path);
        this.changedDuringListing.delete(path);
      }
    });
  }

  private pages(path: string, dir: RemoteEntry): AsyncIterable<RemoteEntry[]> {
    if (this.drive.listPages) return this.drive.listPages(path, dir);
    const drive = this.drive;
    return (async function* () {
      yield await drive.list(path, dir);
    })();
  }

  /**
   * Record what the service answered to a change made through the mount, so the next `stat`/`ls`
   * shows it without asking again (and never shows the old state).
   */
  put(path: string, entry: RemoteEntry): void {
    this.localChanges.set(path, ++this.localMark);
    this.place(path, entry);
  }

  private place(path: string, entry: RemoteEntry): void {
    if (path === '/') {
      this.setEntry(path, entry); // the root is in no folder's listing
      return;
    }
    const { parent, name } = splitPath(path);
    const siblings = this.dirs.get(parent)?.listing;
    // The service may keep its own spelling; the mount shows the name the program used.
    const shown = entry.name === name ? entry : { ...entry, name };
    if (siblings) {
      const was = siblings.idOf(name);
      siblings.set(name, shown);
      this.ids.childSeen(parent, shown.id, was);
      this.resized(parent, siblings);
    }
    this.setEntry(path, shown);
    this.noteChange(parent, name, path, shown);
  }

  /** A listing changed in place: its bytes are measured again (lru-cache measures only on set). */
  private resized(path: string, l: Listing): void {
    if (this.dirs.peek(path)?.listing === l) this.dirs.set(path, { listing: l }, { noUpdateTTL: true, noDisposeOnSet: true });
  }

  /** Takes the child `name` out of `parent`'s cached listing, if it is there. */
  private unlist(parent: string, name: string): void {
    const siblings = this.dirs.get(parent)?.listing;
    if (!siblings) return;
    const id = siblings.idOf(name);
    if (id === undefined) return;
    siblings.delete(name);
    this.ids.childGone(parent, id);
    this.resized(parent, siblings);
  }

  private setEntry(path: string, e: RemoteEntry): void {
    this.entries.set(path, e);
    this.ids.statSeen(path, e.id);
  }

  private setListing(path: string, dirId: string, l: Listing): void {
    this.dirs.set(path, { listing: l });
    if (!this.dirs.has(path)) return; // bigger than the whole budget: not kept
    this.ids.listingKept(path, dirId, l);
  }

  /** The mount path of the item with this id, if the cache holds it there now. */
  private pathOfId(id: string): string | undefined {
    return this.ids.pathOf(
      id,
      (p) => this.dirs.peek(p)?.listing,
      (p, want) => {
        const held = this.cachedEntry(p);
        return held !== undefined && held !== MISSING && held.id === want;
      },
    );
  }

  /** A mark to pass to `applyRemote`: changes made through the mount after it win over the service's report. */
  changeMark(): number {
    return this.localMark;
  }

  /**
   * Lays one round of the service's changes over the cache, by id and by path: new items join
   * their folder's listing, changed ones replace their entry, renamed and moved ones leave their
   * old place (with everything cached beneath a folder), deleted ones go. Paths the mount itself
   * changed after `mark`, and those `keep` says are busy locally, are left alone.
   */
  applyRemote(changes: readonly RemoteChange[], mark: number, keep: (path: string) => boolean = () => false): AppliedChange[] {
    const out: AppliedChange[] = [];
    const untouchable = (p: string): boolean => (this.localChanges.get(p) ?? 0) > mark || keep(p);
    for (const pl of placeChanges(changes, (id) => this.pathOfId(id))) {
      // The mounted folder itself never goes (moved or removed, it is still what is mounted).
      if (pl.from !== undefined && pl.from !== '/' && pl.from !== pl.to && !untouchable(pl.from)) {
        this.dropRemote(pl.from);
      }
      if (pl.to !== null && pl.entry?.isDir) this.folderChanged(pl.to, pl.entry);
      if (pl.to !== null && pl.entry && !untouchable(pl.to)) {
        const before = this.cachedEntry(pl.to);
        if (before === MISSING) this.entries.delete(pl.to);
        if (pl.to === '/' || this.dirs.has(splitPath(pl.to).parent) || this.entries.has(pl.to)) this.place(pl.to, pl.entry);
        // A folder now where another item (or nothing) was: its old listing is not its own.
        if (before !== undefined && before !== MISSING && before.id !== pl.entry.id) this.forgetBelow(pl.to);
      }
      out.push({ id: pl.id, entry: pl.to === null ? undefined : pl.entry });
    }
    return out;
  }

  /**
   * A folder the service reports with a new version: its listing is read again when next asked
   * for. Its children's own reports may not explain every change (an item made and removed
   * between two polls is reported by neither round), and one listing settles it.
   */
  private folderChanged(path: string, e: RemoteEntry): void {
    const before = path === '/' ? this.entries.peek('/') : this.cachedEntry(path);
    const was = before !== undefined && before !== MISSING ? before.version : undefined;
    if (was !== undefined && was === e.version) return;
    this.dirs.delete(path);
    if (this.inflightDirs.has(path)) this.listedTooEarly.add(path);
    // Single stats of its children (the mount's own writes among them) go too: the listing decides.
    const prefix = path === '/' ? '/' : path + '/';
    for (const k of [...this.entries.keys()]) {
      if (k.startsWith(prefix) && k.length > prefix.length && !k.includes('/', prefix.length)) this.entries.delete(k);
    }
  }

  /** The service says `path` is no longer there. */
  private dropRemote(path: string): void {
    const { parent, name } = splitPath(path);
    this.unlist(parent, name);
    this.entries.delete(path);
    this.noteChange(parent, name, path, MISSING);
    this.forgetBelow(path);
  }

  /** Forget everything (the service lost track of the changes it reported): all is asked again. */
  clear(): void {
    this.generation++;
    this.dirs.clear();
    this.entries.clear();
    this.stale.clear();
    this.ids.clear();
  }

  private noteChange(parent: string, name: string, path: string, e: RemoteEntry | typeof MISSING): void {
    this.changedDuringListing.get(parent)?.set(name, e);
    if (this.inflightStats.has(path)) this.changedDuringStat.add(path);
  }

  /**
   * Something inside `path`'s folder changed through the mount: the service may have changed the
   * folder's own time, so its attributes are fetched again when next asked for (its listing stays).
   */
  childChanged(path: string): void {
    if (path !== '/') this.stale.add(splitPath(path).parent);
  }

  private restat(path: string): Promise<RemoteEntry> {
    return this.singleFlight(this.inflightStats, path, async () => {
      this.counters.stats++;
      const e = await this.drive.stat(path);
      this.stale.delete(path);
      if (this.changedDuringStat.has(path)) return this.newerThanStat(path, e);
      this.place(path, e);
      return e;
    });
  }

  /** The path no longer exists (deleted or renamed away through the mount). */
  remove(path: string): void {
    this.localChanges.set(path, ++this.localMark);
    const { parent, name } = splitPath(path);
    this.unlist(parent, name);
    this.entries.set(path, MISSING, { ttl: this.opts.negativeTtlMs });
    this.noteChange(parent, name, path, MISSING);
    this.forgetBelow(path);
  }

  /** Forget a path's listing and everything cached beneath it (after a folder moved). */
  forgetBelow(path: string): void {
    const prefix = path === '/' ? '/' : path + '/';
    this.dirs.delete(path);
    for (const k of [...this.dirs.keys()]) if (k.startsWith(prefix)) this.dirs.delete(k);
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
    // A listing or stat still in flight below (a walk-ahead listing the folder being renamed)
    // answers for a path that no longer means the same item: it must not be cached when it lands.
    if (this.inflightDirs.has(path)) this.listedTooEarly.add(path);
    for (const k of this.inflightDirs.keys()) if (k.startsWith(prefix)) this.listedTooEarly.add(k);
    for (const k of this.inflightStats.keys()) if (k.startsWith(prefix)) this.changedDuringStat.add(k);
  }

  /** A listing fresh from the service, bypassing the cache (before deleting a folder, say). */
  async listFresh(path: string): Promise<Listing> {
    this.dirs.delete(path);
    return this.listing(path);
  }

  private singleFlight<T>(map: Map<string, Promise<T>>, key: string, fn: () => Promise<T>): Promise<T> {
    let p = map.get(key);
    if (!p) {
      p = fn().finally(() => {
        map.delete(key);
        if (map === (this.inflightStats as Map<string, unknown>)) this.changedDuringStat.delete(key);
      });
      map.set(key, p);
    }
    return p;
  }
}

export { splitPath } from '../util/posix-path.js';

function notFound(path: string): DriveError {
  return new DriveError('ENOENT', `${path}: no such file or folder`);
}
