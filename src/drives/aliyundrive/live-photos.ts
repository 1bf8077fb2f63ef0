import type { HttpClient } from '../../http/client.js';
import type { DownloadLink, RemoteEntry } from '../types.js';
import { toEntry, type AliyundriveFile } from './files.js';

/**
 * Live photos (`.livp`) have no plain download, only a JPEG and a MOV stream (docs/services/aliyundrive-open.md, "Live photos").
 * The mount shows each as a file of the chosen format — `X.jpeg` or `X.mov` — whose size is
 * that stream's, learnt once per version with a one-byte ranged request, so `stat` and `read`
 * agree. The link used for that is kept for the read that usually follows.
 */
export class LivePhotos {
  private readonly sizes = new Map<string, { version: string; size: number; link: DownloadLink }>();
  private readonly live = new Set<string>();

  constructor(
    private readonly format: 'jpeg' | 'mov',
    private readonly http: HttpClient,
    private readonly linkOf: (fileId: string) => Promise<DownloadLink>,
  ) {}

  isLive(fileId: string): boolean {
    return this.live.has(fileId);
  }

  /** `X.livp` → `X.jpeg` (the service's name is what renames must keep: see serviceName). */
  shownName(serviceName: string): string {
    return serviceName.replace(/\.livp$/i, '') + '.' + this.format;
  }

  /** The name the service needs for a live photo shown as `name`. */
  serviceName(shown: string): string {
    return shown.replace(new RegExp(`\\.${this.format}$`, 'i'), '').replace(/\.livp$/i, '') + '.livp';
  }

  async present(f: AliyundriveFile): Promise<RemoteEntry> {
    this.live.add(f.file_id);
    const version = f.updated_at ?? '';
    let known = this.sizes.get(f.file_id);
    if (!known || known.version !== version || known.link.expiresAt <= Date.now()) {
      const link = await this.linkOf(f.file_id);
      known = { version, size: known?.version === version ? known.size : await this.streamSize(link), link };
      this.sizes.set(f.file_id, known);
    }
    const base = toEntry(f);
    return { ...base, name: this.shownName(f.name), size: known.size, hashes: undefined, link: known.link, readOnly: true };
  }

  /**
   * A live photo shown as `X.jpeg` beside a real `X.jpeg` would hide one of them: such a live
   * photo keeps its full name, `X.livp.jpeg`.
   */
  resolveClashes(entries: RemoteEntry[]): RemoteEntry[] {
    const plain = new Set(entries.filter((e) => !this.live.has(e.id)).map((e) => e.name));
    return entries.map((e) => (this.live.has(e.id) && plain.has(e.name) ? { ...e, name: this.serviceName(e.name) + '.' + this.format } : e));
  }

  /** The stream's length from `Content-Range: bytes 0-0/SIZE`. */
  private async streamSize(link: DownloadLink): Promise<number> {
    const res = await this.http.request({ url: link.url, preauthenticated: true, headers: { range: 'bytes=0-0' }, acceptStatus: [416] });
    await res.body.dump();
    const cr = res.headers['content-range'];
    const m = /\/(\d+)\s*$/.exec(Array.isArray(cr) ? (cr[0] ?? '') : (cr ?? ''));
    if (m) return Number(m[1]);
    const len = Number(res.headers['content-length']);
    return res.status === 200 && Number.isFinite(len) ? len : 0;
  }
}
