import { LRUCache } from 'lru-cache';
import type { DownloadLink, RemoteEntry } from '../types.js';

/**
 * Links kept at most. A link is only worth keeping while its file is being read (or about to be):
 * a few thousand covers every file a mount reads at once with room to spare, and at about 1 KB a
 * URL it stays within a few MB however many files are read over the mount's life. A forgotten
 * link costs one resolution, never a wrong answer.
 */
export const MAX_CACHED_LINKS = 4096;
/**
 * Items whose last forget is remembered. Past it, the oldest record is dropped and its mark
 * becomes the floor every item is judged by (stricter, never laxer: see `trusted`).
 */
const MAX_FORGET_RECORDS = 16_384;

/**
 * Download links per item, reused until they expire or the storage host refuses them.
 * Re-resolution is single-flight so a burst of parallel range requests costs one API call.
 *
 * Every forget (the item was uploaded over, moved or removed) takes a new mark from a counter; a
 * link is trusted only if it was asked for at or after the item's last mark. So a resolution still
 * in flight when its item changed, or a link that came with a listing sent before the change, is
 * never used after it.
 */
export class LinkCache {
  private readonly links = new LRUCache<string, DownloadLink>({ max: MAX_CACHED_LINKS });
  private readonly inflight = new Map<string, { since: number; link: Promise<DownloadLink> }>();
  private mark = 0;
  /** The mark of each item's last forget. */
  private readonly forgotten: LRUCache<string, number>;
  /** The newest mark dropped from `forgotten`: an item with no record may have been forgotten up to then. */
  private floor = 0;
  /** The mark at which a driver asked for a link it hands over in a listing (see `stamp`). */
  private readonly stamps = new WeakMap<DownloadLink, number>();

  constructor(private readonly resolve: (path: string, entry: RemoteEntry) => Promise<DownloadLink>) {
    this.forgotten = new LRUCache<string, number>({
      max: MAX_FORGET_RECORDS,
      dispose: (m, _id, reason) => {
        if (reason === 'evict') this.floor = Math.max(this.floor, m);
      },
    });
  }

  /** Links held now (bounded by MAX_CACHED_LINKS). */
  get size(): number {
    return this.links.size;
  }

  /**
   * Take before asking the service for links that will ride on listed entries; pass to `stamp`
   * with each link. An unstamped listing link is trusted only for an item never forgotten.
   */
  now(): number {
    return this.mark;
  }

  stamp(link: DownloadLink, since: number): DownloadLink {
    this.stamps.set(link, since);
    return link;
  }

  async get(path: string, entry: RemoteEntry): Promise<DownloadLink> {
    for (;;) {
      const now = Date.now();
      const known = this.links.get(entry.id);
      if (known && known.expiresAt > now) return known;
      const listed = entry.link;
      if (!known && listed && listed.expiresAt > now && this.trusted(entry.id, this.stamps.get(listed) ?? 0)) {
        this.links.set(entry.id, listed);
        return listed;
      }
      const f = this.inflight.get(entry.id) ?? this.startResolution(path, entry);
      const link = await f.link;
      if (this.trusted(entry.id, f.since)) return link;
      // The item changed while the link was asked for: it may serve the old bytes. Ask again.
    }
  }

  /** The storage host refused `link`: mark it dead unless it was already replaced. */
  invalidate(id: string, link: DownloadLink): void {
    const known = this.links.get(id);
    if (!known || known.url === link.url) this.links.set(id, { url: link.url, expiresAt: 0 });
  }

  /** The item changed or went away: no link asked for before now is used for it again. */
  forget(id: string): void {
    this.forgotten.set(id, ++this.mark);
    this.links.delete(id);
    this.inflight.delete(id);
  }

  private startResolution(path: string, entry: RemoteEntry): { since: number; link: Promise<DownloadLink> } {
    const f = { since: this.mark, link: undefined as unknown as Promise<DownloadLink> };
    f.link = this.resolve(path, entry)
      .then((l) => {
        if (this.trusted(entry.id, f.since)) this.links.set(entry.id, l);
        return l;
      })
      .finally(() => {
        if (this.inflight.get(entry.id) === f) this.inflight.delete(entry.id);
      });
    this.inflight.set(entry.id, f);
    return f;
  }

  /** A link asked for at mark `since` may be used: the item was not forgotten after that. */
  private trusted(id: string, since: number): boolean {
    return since >= (this.forgotten.get(id) ?? this.floor);
  }
}
