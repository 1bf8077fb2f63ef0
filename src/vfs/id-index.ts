import { joinPosix } from '../util/posix-path.js';
import type { Listing } from './listing.js';

/**
 * Where the metadata cache holds each item, by id: the service reports changes by id, and they
 * must find their place. A hint only — every answer is checked against the cache on use, and a
 * stale one is dropped then.
 */
export class IdIndex {
  /** id → mount path of every item seen in a stat, and of every listed folder. */
  private readonly pathById = new Map<string, string>();
  /**
   * id → its folder's path, for every listed child. The value is the listing's own path string,
   * so an entry costs no string of its own (a 100,000-entry folder would otherwise make 100,000
   * paths).
   */
  private readonly parentById = new Map<string, string>();
  /** The listed folder's own id, per listing. */
  private readonly listingIds = new Map<string, string>();
  /** The mounted folder's id: changes in it must find it even once its stat has expired. */
  private rootId?: string;

  /** A stat of `path` answered item `id`. */
  statSeen(path: string, id: string): void {
    this.pathById.set(id, path);
    if (path === '/') this.rootId = id;
  }

  /** The stat of `path` (item `id`) left the cache. */
  statGone(path: string, id: string): void {
    if (this.pathById.get(id) !== path) return;
    if (this.listingIds.get(path) !== id) this.pathById.delete(id);
  }

  /** `parent`'s listing now holds item `id` (in place of `replaced`, if another was there). */
  childSeen(parent: string, id: string, replaced?: string): void {
    if (replaced !== undefined && replaced !== id) this.childGone(parent, replaced);
    this.parentById.set(id, parent);
  }

  /** `parent`'s listing no longer holds item `id`. */
  childGone(parent: string, id: string): void {
    if (this.parentById.get(id) === parent) this.parentById.delete(id);
  }

  /** A listing of folder `dirId` is kept at `path`. */
  listingKept(path: string, dirId: string, l: Listing): void {
    this.listingIds.set(path, dirId);
    this.pathById.set(dirId, path);
    for (let s = 0; s < l.size; s++) this.parentById.set(l.idAt(s), path);
  }

  /** The listing at `path` left the cache (one replaced by a newer listing is indexed again right after). */
  listingGone(path: string, l: Listing): void {
    this.listingIds.delete(path);
    for (let s = 0; s < l.size; s++) this.childGone(path, l.idAt(s));
  }

  /**
   * The mount path of item `id`, if the cache holds it there now: `listingAt` gives a cached
   * listing, `statHolds` says whether the cached stat of a path is that item.
   */
  pathOf(id: string, listingAt: (path: string) => Listing | undefined, statHolds: (path: string, id: string) => boolean): string | undefined {
    if (id === this.rootId) return '/';
    const parent = this.parentById.get(id);
    if (parent !== undefined) {
      const l = listingAt(parent);
      const slot = l?.slotOfId(id);
      if (slot !== undefined) return joinPosix(parent, l!.nameAt(slot));
      this.parentById.delete(id);
    }
    const p = this.pathById.get(id);
    if (p === undefined) return undefined;
    if (statHolds(p, id) || this.listingIds.get(p) === id) return p;
    this.pathById.delete(id);
    return undefined;
  }

  clear(): void {
    this.pathById.clear();
    this.parentById.clear();
    this.listingIds.clear();
  }
}
