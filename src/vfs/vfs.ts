import type { Drive, Quota, RemoteEntry } from '../drives/types.js';
import { DriveError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { MetadataCache, splitPath } from './metadata-cache.js';
import { NamespaceOps } from './namespace-ops.js';
import { BufferPool } from './prefetch/buffer-pool.js';
import { driveContent } from './prefetch/content-source.js';
import { MemoryBudget } from './prefetch/memory-budget.js';
import { DEFAULT_PREFETCH, Prefetcher, type PrefetchOptions } from './prefetch/prefetcher.js';
import type { StagedFile } from './write/staged-file.js';
import { StagedFiles, type UploadProgress } from './write/staged-files.js';
import { StagingArea } from './write/staging-area.js';
import { cacheRoot } from '../util/paths.js';

export interface VfsOptions {
  readOnly: boolean;
  dirCacheTtlMs: number;
  negativeCacheTtlMs: number;
  /** Total bytes of read-ahead buffers across all open files. */
  readAheadMemory: number;
  prefetch: PrefetchOptions;
  /** How long a quota answer serves statfs (df calls it often). */
  quotaTtlMs: number;
  /** Where written files are staged before upload (and kept if the upload fails). */
  cacheDir: string;
}

export const DEFAULT_VFS_OPTIONS: VfsOptions = {
  readOnly: true,
  dirCacheTtlMs: 5 * 60_000,
  negativeCacheTtlMs: 5_000,
  readAheadMemory: 512 << 20,
  prefetch: DEFAULT_PREFETCH,
  quotaTtlMs: 30_000,
  cacheDir: cacheRoot(),
};

export interface OpenFlags {
  write: boolean;
  truncate: boolean;
}

/** An open file: read straight from the service, or through its staged copy while being written. */
type Handle =
  | { kind: 'read'; path: string; entry: RemoteEntry; reader?: Prefetcher }
  | { kind: 'staged'; file: StagedFile };

/** Counters for --stats and tests. */
export interface VfsStats {
  bytesRead: number;
  bytesWritten: number;
}

/**
 * The filesystem as programs see it, independent of FUSE: paths in, entries and bytes out,
 * DriveError for failures. It owns the caches, the open handles, their read-ahead and the
 * staging of writes.
 */
export class Vfs {
  readonly metadata: MetadataCache;
  readonly budget: MemoryBudget;
  readonly stats: VfsStats = { bytesRead: 0, bytesWritten: 0 };
  private readonly pool: BufferPool;
  private readonly staged: StagedFiles;
  private readonly ns: NamespaceOps;
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  private quotaCache?: { at: number; value: Promise<Quota> };

  constructor(
    readonly drive: Drive,
    private readonly log: Logger,
    readonly opts: VfsOptions = DEFAULT_VFS_OPTIONS,
  ) {
    this.metadata = new MetadataCache(drive, { ttlMs: opts.dirCacheTtlMs, negativeTtlMs: opts.negativeCacheTtlMs });
    this.budget = new MemoryBudget(opts.readAheadMemory);
    this.pool = new BufferPool(Math.min(opts.readAheadMemory, 256 << 20));
    this.staged = new StagedFiles({ drive, log, metadata: this.metadata, staging: new StagingArea(opts.cacheDir) });
    this.ns = new NamespaceOps(drive, this.metadata, this.staged);
  }

  /** Uploads running now and how far each has got. */
  uploadsInFlight(): UploadProgress[] {
    return this.staged.uploadsInFlight();
  }

  get writable(): boolean {
    return !this.opts.readOnly && this.drive.writer !== undefined;
  }

  async getattr(path: string): Promise<RemoteEntry> {
    return this.staged.get(path)?.entry() ?? this.metadata.lookup(path);
  }

  readdir(path: string): Promise<RemoteEntry[]> {
    return this.metadata.list(path);
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    if (flags.write || flags.truncate) this.requireWritable();
    const open = this.staged.get(path);
    if (!flags.write && !flags.truncate && !open) {
      const entry = await this.metadata.lookup(path);
      if (entry.isDir) throw new DriveError('EISDIR', `${path} is a folder`);
      return this.addHandle({ kind: 'read', path, entry });
    }
    const entry = open?.remote ?? (open ? undefined : await this.metadata.lookup(path));
    if (entry?.isDir) throw new DriveError('EISDIR', `${path} is a folder`);
    if (entry?.readOnly) throw new DriveError('EACCES', `${path} cannot be written through the mount`);
    return this.addHandle({ kind: 'staged', file: await this.staged.open(path, entry, flags.truncate) });
  }

  /** A new file (O_CREAT on a missing name). */
  async create(path: string): Promise<number> {
    this.requireWritable();
    this.staged.writer().checkName(path);
    const parent = await this.metadata.lookup(splitPath(path).parent);
    if (!parent.isDir) throw new DriveError('ENOTDIR', `${splitPath(path).parent} is not a folder`);
    await this.ns.assertAbsent(path);
    return this.addHandle({ kind: 'staged', file: await this.staged.open(path, undefined, true) });
  }

  async read(fh: number, target: Buffer, len: number, pos: number): Promise<number> {
    const h = this.handle(fh);
    let n: number;
    if (h.kind === 'staged') {
      n = await h.file.read(target, len, pos);
    } else {
      h.reader ??= new Prefetcher(
        h.entry.size,
        { content: driveContent(this.drive, h.path, h.entry), log: this.log, path: h.path, pool: this.pool },
        this.budget,
        this.opts.prefetch,
      );
      n = await h.reader.read(target, pos, len);
    }
    this.stats.bytesRead += n;
    return n;
  }

  async write(fh: number, buf: Buffer, len: number, pos: number): Promise<number> {
    const h = this.handle(fh);
    if (h.kind !== 'staged') throw new DriveError('EBADF', 'file not open for writing');
    const n = await h.file.write(buf, len, pos);
    this.stats.bytesWritten += n;
    return n;
  }

  /** close() and fsync(): commit what was written; success means the service has the bytes. */
  async flush(fh: number): Promise<void> {
    const h = this.handle(fh);
    if (h.kind === 'staged') await this.staged.commit(h.file);
  }

  async release(fh: number): Promise<void> {
    const h = this.handles.get(fh);
    if (!h) return;
    this.handles.delete(fh);
    if (h.kind === 'read') {
      if (h.reader) this.log.debug({ path: h.path, requests: h.reader.requests, seeks: h.reader.seeks }, 'closed');
      h.reader?.close();
    } else {
      await this.staged.release(h.file);
    }
  }

  async ftruncate(fh: number, size: number): Promise<void> {
    const h = this.handle(fh);
    if (h.kind !== 'staged') throw new DriveError('EBADF', 'file not open for writing');
    await h.file.truncate(size);
  }

  /**
   * truncate(2) by path. On a file open for writing (libfuse sends ftruncate this way too) it
   * changes the staged copy, committed by that handle's close; otherwise it is open, truncate,
   * close — never an upload of an emptied file ahead of the content being written.
   */
  async truncate(path: string, size: number): Promise<void> {
    const open = this.staged.get(path);
    if (open) {
      this.requireWritable();
      await open.truncate(size);
      return;
    }
    const fh = await this.open(path, { write: true, truncate: size === 0 });
    try {
      await this.ftruncate(fh, size);
      await this.flush(fh);
    } finally {
      await this.release(fh);
    }
  }

  mkdir(path: string): Promise<void> {
    this.requireWritable();
    return this.ns.mkdir(path);
  }

  rmdir(path: string): Promise<void> {
    this.requireWritable();
    return this.ns.rmdir(path);
  }

  unlink(path: string): Promise<void> {
    this.requireWritable();
    return this.ns.unlink(path);
  }

  rename(from: string, to: string): Promise<void> {
    this.requireWritable();
    return this.ns.rename(from, to);
  }

  utimens(path: string, mtimeMs: number): Promise<void> {
    this.requireWritable();
    return this.ns.utimens(path, mtimeMs);
  }

  /** For access(2): existence, and refusal of write access on a read-only mount. */
  async access(path: string, wantWrite: boolean): Promise<void> {
    await this.getattr(path);
    if (wantWrite) this.requireWritable();
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

  async close(): Promise<void> {
    for (const fh of [...this.handles.keys()]) await this.release(fh);
  }

  private requireWritable(): void {
    if (this.opts.readOnly) throw new DriveError('EROFS', 'the mount is read-only');
    if (!this.drive.writer) throw new DriveError('EROFS', `remote "${this.drive.name}" cannot be written to`);
  }

  private addHandle(h: Handle): number {
    const fh = this.nextHandle++;
    this.handles.set(fh, h);
    return fh;
  }

  private handle(fh: number): Handle {
    const h = this.handles.get(fh);
    if (!h) throw new DriveError('EBADF', `no open file with handle ${fh}`);
    return h;
  }
}
