import type { DownloadLink, RemoteEntry } from '../types.js';

/**
 * Download links per item, reused until they expire or the storage host refuses them.
 * Re-resolution is single-flight so a burst of parallel range requests costs one API call.
 */
export class LinkCache {
  private readonly links = new Map<string, DownloadLink>();
  private readonly inflight = new Map<string, Promise<DownloadLink>>();

  constructor(private readonly resolve: (path: string, entry: RemoteEntry) => Promise<DownloadLink>) {}

  async get(path: string, entry: RemoteEntry): Promise<DownloadLink> {
    const now = Date.now();
    const known = this.links.get(entry.id);
    if (known && known.expiresAt > now) return known;
    if (!known && entry.link && entry.link.expiresAt > now) {
      this.links.set(entry.id, entry.link);
      return entry.link;
    }
    let p = this.inflight.get(entry.id);
    if (!p) {
      p = this.resolve(path, entry)
        .then((l) => {
          this.links.set(entry.id, l);
          return l;
        })
        .finally(() => this.inflight.delete(entry.id));
      this.inflight.set(entry.id, p);
    }
    return p;
  }

  /** The storage host refused `link`: mark it dead unless it was already replaced. */
  invalidate(id: string, link: DownloadLink): void {
    const known = this.links.get(id);
    if (!known || known.url === link.url) this.links.set(id, { url: link.url, expiresAt: 0 });
  }

  forget(id: string): void {
    this.links.delete(id);
  }
}
