import type { HttpClient } from '../http/client.js';
import type { Drive, Quota, RemoteEntry } from '../drives/types.js';
import { DriveError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { LinkCache } from './link-cache.js';
import { MetadataCache } from './metadata-cache.js';
import { MemoryBudget } from './prefetch/memory-budget.js';
import { BufferPool } from './prefetch/buffer-pool.js';
import { DEFAULT_PREFETCH, Prefetcher, type PrefetchOptions } from './prefetch/prefetcher.js';

export interface VfsOptions {
  readOnly: boolean;
  dirCacheTtlMs: number;
  negativeCacheTtlMs: number;
  /** Total bytes of read-ahead buffers across all open files. */
  readAheadMemory: number;
  prefetch: PrefetchOptions;
  /** How long a quota answer serves statfs (df calls it often). */
  quotaTtlMs: number;
}

export const DEFAULT_VFS_OPTIONS: VfsOptions = {
  readOnly: true,
  dirCacheTtlMs: 5 * 60_000,
  negativeCacheTtlMs: 5_000,
  readAheadMemory: 512 << 20,
  prefetch: DEFAULT_PREFETCH,
  quotaTtlMs: 30_000,
};

export interface OpenFlags {
  write: boolean;
  truncate: boolean;
}

interface OpenFile {
  path: string;
  entry: RemoteEntry;
  reader?: Prefetcher;
}

/** Counters for --stats and tests. */
export interface VfsStats {
  bytesRead: number;
  openFiles: number;
}

/**
 * The filesystem as programs see it, independent of FUSE: paths in, entries and bytes out,
 * DriveError for failures. It owns the caches, the open handles and their read-ahead.
 */
export class Vfs {
  readonly metadata: MetadataCache;
  readonly links: LinkCache;
  readonly budget: MemoryBudget;
  private readonly pool: BufferPool;
  readonly stats: VfsStats = { bytesRead: 0, openFiles: 0 };
  private readonly handles = new Map<number, OpenFile>();
  private nextHandle = 1;
  private quotaCache?: { at: number; value: Promise<Quota> };

  constructor(
    readonly drive: Drive,
    private readonly http: HttpClient,
    private readonly log: Logger,
    readonly opts: VfsOptions = DEFAULT_VFS_OPTIONS,
  ) {
    this.metadata = new MetadataCache(drive, { ttlMs: opts.dirCacheTtlMs, negativeTtlMs: opts.negativeCacheTtlMs });
    this.links = new LinkCache(drive);
    this.budget = new MemoryBudget(opts.readAheadMemory);
    this.pool = new BufferPool(Math.min(opts.readAheadMemory, 256 << 20));
  }

  getattr(path: string): Promise<RemoteEntry> {
    return this.metadata.lookup(path);
  }

  readdir(path: string): Promise<RemoteEntry[]> {
    return this.metadata.list(path);
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    if (flags.write || flags.truncate) {
      throw new DriveError('EROFS', this.opts.readOnly ? 'the mount is read-only' : 'writing is not supported yet');
    }
    const entry = await this.metadata.lookup(path);
    if (entry.isDir) throw new DriveError('EISDIR', `${path} is a folder`);
    const fh = this.nextHandle++;
    this.handles.set(fh, { path, entry });
    this.stats.openFiles++;
    return fh;
  }

  async read(fh: number, target: Buffer, len: number, pos: number): Promise<number> {
    const f = this.handle(fh);
    f.reader ??= new Prefetcher(
      f.entry.size,
      { http: this.http, links: this.links.forFile(f.path, f.entry), log: this.log, path: f.path, pool: this.pool },
      this.budget,
      this.opts.prefetch,
    );
    const n = await f.reader.read(target, pos, len);
    this.stats.bytesRead += n;
    return n;
  }

  release(fh: number): void {
    const f = this.handles.get(fh);
    if (!f) return;
    if (f.reader) this.log.debug({ path: f.path, requests: f.reader.requests, seeks: f.reader.seeks }, 'closed');
    f.reader?.close();
    this.handles.delete(fh);
    this.stats.openFiles--;
  }

  /** For access(2): existence, and refusal of write access on a read-only mount. */
  async access(path: string, wantWrite: boolean): Promise<void> {
    await this.metadata.lookup(path);
    if (wantWrite && this.opts.readOnly) throw new DriveError('EROFS', 'the mount is read-only');
  }

  quota(): Promise<Quota> {
    const now = Date.now();
    if (!this.quotaCache || now - this.quotaCache.at > this.opts.quotaTtlMs) {
      const value = this.drive.quota();
      this.quotaCache = { at: now, value };
      value.catch(() => {
        if (this.quotaCache?.value === value) this.quotaCache = undefined;
      });
    }
    return this.quotaCache.value;
  }

  /** Requests made by one open file's read-ahead (for tests of the seek behaviour). */
  requestsOf(fh: number): number {
    return this.handle(fh).reader?.requests ?? 0;
  }

  async close(): Promise<void> {
    for (const fh of [...this.handles.keys()]) this.release(fh);
  }

  private handle(fh: number): OpenFile {
    const f = this.handles.get(fh);
    if (!f) throw new DriveError('EBADF', `no open file with handle ${fh}`);
    return f;
  }
}
