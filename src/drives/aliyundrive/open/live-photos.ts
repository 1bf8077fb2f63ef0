import { LRUCache } from 'lru-cache';
import type { HttpClient } from '../../../http/client.js';
import { DriveError } from '../../../util/errors.js';
import type { DownloadLink, RemoteEntry } from '../../types.js';
import { toEntry, type AliyundriveFile } from '../files.js';

/**
 * Stream sizes remembered. Each is a few dozen bytes, so this is well under a megabyte, and it
 * covers the photos of any folder a person browses; a forgotten size costs one more probe when
 * the photo is next looked at, never a wrong size.
 */
const MAX_KNOWN_SIZES = 10_000;

/** How the service answers a one-byte probe that says nothing about the link being refused. */
const PROBE_ACCEPTS = [401, 403, 404, 410, 416];

/**
 * Live photos (`.livp`) have no plain download, only a JPEG and a MOV stream (docs/services/aliyundrive-open.md, "Live photos").
 * The mount shows each as a file of the chosen format — `X.jpeg` or `X.mov` — whose size is
 * that stream's. Learning it takes a download link (1 call/s on the service) and a one-byte
 * ranged request, so a listing does not wait for it: a photo whose size is not known yet is
 * listed with `sizeUnknown`, and the size is learnt when the photo is looked up (stat, open),
 * before anything is read. Sizes are kept per version (id and update time), so listing again costs nothing.
 */
export class LivePhotos {
  private readonly sizes: LRUCache<string, number>;

  constructor(
    private readonly format: 'jpeg' | 'mov',
    private readonly http: HttpClient,
    /** The stream's download link, through the driver's link cache (the read that follows reuses it). */
    private readonly linkOf: (path: string, entry: RemoteEntry) => Promise<DownloadLink>,
    private readonly refused: (entry: RemoteEntry, link: DownloadLink) => void,
    maxKnownSizes = MAX_KNOWN_SIZES,
  ) {
    this.sizes = new LRUCache({ max: maxKnownSizes });
  }

  /** Only live photos are read-only on this service (writing one would drop its other stream). */
  static isLive(e: RemoteEntry): boolean {
    return e.readOnly === true;
  }

  /** `X.livp` → `X.jpeg` (the service's name is what renames must keep: see serviceName). */
  shownName(serviceName: string): string {
    return serviceName.replace(/\.livp$/i, '') + '.' + this.format;
  }

  /** The name the service needs for a live photo shown as `name`. */
  serviceName(shown: string): string {
    return shown.replace(new RegExp(`\\.${this.format}$`, 'i'), '').replace(/\.livp$/i, '') + '.livp';
  }

  /** The entry of a live photo, without asking the service anything. */
  present(f: AliyundriveFile): RemoteEntry {
    const base = { ...toEntry(f), name: this.shownName(f.name), hashes: undefined, readOnly: true };
    const size = this.sizes.get(versionKey(base));
    return size === undefined ? { ...base, size: 0, sizeUnknown: true } : { ...base, size };
  }

  /** The entry with its stream's size: one probe, unless this content's size is known. */
  async learnSize(path: string, entry: RemoteEntry): Promise<RemoteEntry> {
    const key = versionKey(entry);
    let size = this.sizes.get(key);
    if (size === undefined) {
      size = await this.probe(path, entry);
      this.sizes.set(key, size);
    }
    const { sizeUnknown: _, ...known } = entry;
    return { ...known, size };
  }

  /**
   * A live photo shown as `X.jpeg` beside a real `X.jpeg` would hide one of them: such a live
   * photo keeps its full name, `X.livp.jpeg`.
   */
  resolveClashes(entries: RemoteEntry[]): RemoteEntry[] {
    const plain = new Set(entries.filter((e) => !LivePhotos.isLive(e)).map((e) => e.name));
    return entries.map((e) => (LivePhotos.isLive(e) && plain.has(e.name) ? { ...e, name: this.serviceName(e.name) + '.' + this.format } : e));
  }

  /** The stream's length from `Content-Range: bytes 0-0/SIZE`; a refused link is renewed once. */
  private async probe(path: string, entry: RemoteEntry): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const link = await this.linkOf(path, entry);
      const res = await this.http.request({ url: link.url, preauthenticated: true, headers: { range: 'bytes=0-0' }, acceptStatus: PROBE_ACCEPTS });
      await res.body.dump();
      const cr = res.headers['content-range'];
      const m = /\/(\d+)\s*$/.exec(Array.isArray(cr) ? (cr[0] ?? '') : (cr ?? ''));
      if (m && (res.status === 206 || res.status === 416)) return Number(m[1]);
      const len = Number(res.headers['content-length']);
      if (res.status === 200 && Number.isFinite(len)) return len;
      if (res.status === 416) return 0; // an empty stream
      if (attempt >= 1) throw new DriveError('EIO', `${path}: the live photo's stream size could not be learnt (storage host answered ${res.status})`);
      this.refused(entry, link);
    }
  }
}

/** A version of a live photo: what it is and when the service last changed it (both in every entry). */
function versionKey(e: RemoteEntry): string {
  return `${e.id}@${e.mtimeMs}`;
}
