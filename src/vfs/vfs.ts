import type { Drive, Quota, RemoteEntry } from '../drives/types.js';
import { DriveError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { MetadataCache, splitPath } from './metadata-cache.js';
import { NamespaceOps } from './namespace-ops.js';
import { BufferPool } from './prefetch/buffer-pool.js';
import { driveContent } from './prefetch/content-source.js';
import { MemoryBudget } from './prefetch/memory-budget.js';
import { DEFAULT_PREFETCH, Prefetcher, type PrefetchOptions } from './prefetch/prefetcher.js';
import { FileReader } from './read-cache/file-reader.js';
import type { ReadCache } from './read-cache/read-cache.js';
import { withCacheDrops } from './read-cache/cache-dropping-drive.js';
import type { StagedFile } from './write/staged-file.js';
import { StagedFiles, type UploadFailure, type UploadProgress } from './write/staged-files.js';
import { StagingArea } from './write/staging-area.js';
import { Journal } from './journal/journal.js';
import type { QueuedUpload } from './write/write-back.js';
import { StagedJournal } from './journal/staged-journal.js';
import { cacheRoot } from '../util/paths.js';
import { checkFileSize, checkNameLength, checkNewName } from './posix-limits.js';
import { isHideRename, UnlinkedOpenFiles, type UnlinkedOpen } from './unlinked-open.js';
import { RecoveryHolds } from './recovery-holds.js';
import { ChangePoller } from './change-poller.js';
import { DEFAULT_WALK_AHEAD, WalkAhead } from './walk-ahead.js';
import type { AppliedChange } from './metadata-cache.js';
import type { Listing } from './listing.js';

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
  /**
   * Handles may outlive every path of their file: once the folder holding a removed, still-open
   * file is removed, libfuse has no path for it and passes NULL, which only the patched binding
   * survives (it passes ""; handle operations go by handle). Without it, removing such a folder is EBUSY.
   */
  pathlessHandles: boolean;
  /** How often the drive's change feed is polled, where it has one (0 = never). */
  pollIntervalMs: number;
  /** Listings fetched at once ahead of a program walking a tree (0 = none). */
  walkAheadListings: number;
  /** The on-disk read cache (`--cache-mode full`), opened by the caller; the Vfs closes it. */
  readCache?: ReadCache;
  /** The remote spec this mount serves: staged files are journaled under it for recovery after a crash (absent: no journal). */
  journalRemote?: string;
  /** Write-back (`--write-back SECONDS`, needs journalRemote): close() returns once the staged file and its record are durable; the upload follows this many ms later. */
  writeBackMs?: number;
  /** Write-back: bytes waiting for upload past which close() waits (`--cache-max-size`). */
  writeBackMaxBytes?: number;
}

export const DEFAULT_VFS_OPTIONS: VfsOptions = {
  readOnly: true,
  dirCacheTtlMs: 5 * 60_000,
  negativeCacheTtlMs: 5_000,
  readAheadMemory: 512 << 20,
  prefetch: DEFAULT_PREFETCH,
  quotaTtlMs: 30_000,
  cacheDir: cacheRoot(),
  pathlessHandles: true,
  pollIntervalMs: 60_000,
  walkAheadListings: DEFAULT_WALK_AHEAD.concurrency,
};

export interface OpenFlags {
  write: boolean;
  truncate: boolean;
}

/** An open file: read straight from the service, or through its staged copy while being written. */
type Handle =
  | { kind: 'read'; path: string; entry: RemoteEntry; reader?: FileReader; /** Changed on the service since opened. */ changed?: boolean }
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
  /** Files removed while open, by the hidden name libfuse keeps them under until the last close. */
  private readonly unlinkedOpen = new UnlinkedOpenFiles();
  private readonly recovering = new RecoveryHolds();
  private nextHandle = 1;
  private quotaCache?: { at: number; value: Promise<Quota> };
  /** Applies the drive's change feed to the caches (drives that have one, when polling is on). */
  readonly poller?: ChangePoller;
  /** Lists folders ahead of programs that walk a tree. */
  readonly walkAhead: WalkAhead;
  /** Records of staged files (when journaling). */
  readonly journal?: Journal;

  constructor(
    readonly drive: Drive,
    private readonly log: Logger,
    readonly opts: VfsOptions = DEFAULT_VFS_OPTIONS,
  ) {
    this.metadata = new MetadataCache(drive, { ttlMs: opts.dirCacheTtlMs, negativeTtlMs: opts.negativeCacheTtlMs });
    this.budget = new MemoryBudget(opts.readAheadMemory);
    this.pool = new BufferPool(Math.min(opts.readAheadMemory, 256 << 20));
    drive = withCacheDrops(drive, opts.readCache);
    this.journal = opts.journalRemote === undefined ? undefined : new Journal(opts.cacheDir, opts.journalRemote, log);
    const journal = this.journal && new StagedJournal(this.journal, { syncBeforeUpload: opts.writeBackMs !== undefined });
    this.staged = new StagedFiles({ drive, log, metadata: this.metadata, staging: new StagingArea(opts.cacheDir), journal, writeBackMs: opts.writeBackMs, writeBackMaxBytes: opts.writeBackMaxBytes });
    this.ns = new NamespaceOps(drive, this.metadata, this.staged);
    this.walkAhead = new WalkAhead((p) => this.metadata.listing(p), log, { ...DEFAULT_WALK_AHEAD, concurrency: opts.walkAheadListings });
    const feed = opts.pollIntervalMs > 0 ? drive.changes?.() : undefined;
    if (feed) {
      this.poller = new ChangePoller(feed, this.metadata, log, {
        intervalMs: opts.pollIntervalMs,
        keep: (p) => this.staged.get(p) !== undefined,
        onApplied: (changes) => this.remoteChanged(changes),
      });
      this.poller.start();
    }
  }

  /** Readers of a file whose content changed on the service read no byte of the new version. */
  private remoteChanged(changes: AppliedChange[]): void {
    const changed = new Map(changes.map((c) => [c.id, c.entry]));
    for (const h of this.handles.values()) {
      if (h.kind !== 'read' || !changed.has(h.entry.id)) continue;
      const now = changed.get(h.entry.id);
      if (now && now.version !== undefined && h.entry.version !== undefined && now.version !== h.entry.version) h.changed = true;
    }
  }

  /** A file committed outside the mount's own writes (recovery after a crash): listings must show it. */
  /** Mount-time recovery will commit these paths: changes to them through the mount wait for it (RecoveryHolds). */
  holdForRecovery(paths: readonly string[]): { done(path: string): void; all(): void } {
    return this.recovering.hold(paths);
  }

  learnCommitted(path: string, entry: RemoteEntry): void {
    if (this.staged.get(path)) return; // open here: its own commit decides
    this.metadata.put(path, entry);
    this.metadata.childChanged(path);
  }

  /** Uploads running now and how far each has got. */
  uploadsInFlight(): UploadProgress[] {
    return this.staged.uploadsInFlight();
  }

  /** Files whose last upload failed (kept in the cache directory). */
  uploadFailures(): UploadFailure[] {
    return this.staged.uploadFailures();
  }

  get writable(): boolean {
    return !this.opts.readOnly && this.drive.writer !== undefined;
  }

  async getattr(path: string): Promise<RemoteEntry> {
    checkNameLength(path);
    return this.unlinkedOpen.entry(path) ?? this.staged.get(path)?.entry() ?? this.metadata.lookup(path);
  }

  /** fstat(2): what the open handle holds, also once its file was removed (libfuse then names it by its hidden path). */
  async fgetattr(fh: number, path: string): Promise<RemoteEntry> {
    const h = this.handles.get(fh);
    if (!h) return this.getattr(path);
    if (h.kind === 'staged') return h.file.entry();
    const now = this.unlinkedOpen.entry(path) ?? this.staged.get(h.path)?.entry();
    if (now) return now;
    return this.metadata.lookup(h.path).catch((e: unknown) => {
      if (e instanceof DriveError && e.code === 'ENOENT') return h.entry; // removed while open
      throw e;
    });
  }

  /** The cached listing itself (names and folder bits, no entry objects): read it at once. */
  async readdir(path: string): Promise<Listing> {
    checkNameLength(path);
    const children = await this.metadata.listing(path);
    this.walkAhead.programListed(path, children);
    return children;
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    checkNameLength(path);
    if (flags.write || flags.truncate) {
      this.requireWritable();
      checkNewName(path); // writing a name that stands for several byte strings could overwrite the wrong file
      await this.recovering.after(path);
    }
    const unlinked = this.unlinkedOpen.get(path);
    if (unlinked) return this.reopenUnlinked(path, unlinked, flags);
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
    checkNewName(path);
    this.staged.writer().checkName(path);
    const parent = await this.metadata.lookup(splitPath(path).parent);
    if (!parent.isDir) throw new DriveError('ENOTDIR', `${splitPath(path).parent} is not a folder`);
    await this.recovering.after(path);
    await this.ns.assertAbsent(path);
    return this.addHandle({ kind: 'staged', file: await this.staged.open(path, undefined, true) });
  }

  async read(fh: number, target: Buffer, len: number, pos: number): Promise<number> {
    const h = this.handle(fh);
    let n: number;
    if (h.kind === 'staged') {
      n = await h.file.read(target, len, pos);
    } else {
      const { path, entry } = h;
      const content = driveContent(this.drive, path, entry);
      h.reader ??= new FileReader(
        path,
        entry,
        (source) => new Prefetcher(entry.size, { content: source, log: this.log, path, pool: this.pool }, this.budget, this.opts.prefetch),
        // What was fetched before a change is of the opened version; anything more could be of the new one.
        // A plain function, not a generator: a wrapping generator costs promises per chunk.
        (start, end, signal) => {
          if (h.changed) throw new DriveError('EIO', `${path} changed on the service while open; open it again to read the new version`);
          return content(start, end, signal);
        },
        this.opts.readCache,
      );
      n = await h.reader.read(target, pos, len);
    }
    this.stats.bytesRead += n;
    return n;
  }

  async write(fh: number, buf: Buffer, len: number, pos: number): Promise<number> {
    const h = this.handle(fh);
    if (h.kind !== 'staged') throw new DriveError('EBADF', 'file not open for writing');
    // POSIX: a write that crosses the largest size writes what fits; one that starts beyond it is EFBIG.
    const max = this.drive.capabilities.maxFileBytes;
    if (max !== undefined && pos + len > max) {
      checkFileSize(h.file.path, pos + 1, max, this.drive.name);
      len = max - pos;
    }
    const n = await h.file.write(buf, len, pos);
    this.stats.bytesWritten += n;
    return n;
  }

  /** close(): commit what was written (success means the service has the bytes), or in write-back mode queue it once it is durable locally. */
  async flush(fh: number): Promise<void> {
    const h = this.handle(fh);
    if (h.kind === 'staged') await this.staged.flush(h.file);
  }

  /** fsync(): in every mode, success means the service has the bytes. */
  async fsync(fh: number): Promise<void> {
    const h = this.handle(fh);
    if (h.kind === 'staged') await this.staged.commit(h.file);
  }

  /** Write-back uploads waiting or running (empty in sync mode). */
  writeBackQueue(): QueuedUpload[] {
    return this.staged.writeBack?.list() ?? [];
  }

  /** Unmount in write-back mode: wait for the queue up to `timeoutMs`; answers how many uploads were left for the next mount. */
  drainWriteBack(timeoutMs: number): Promise<number> {
    return this.staged.writeBack?.drain(timeoutMs) ?? Promise.resolve(0);
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
    checkFileSize(h.file.path, size, this.drive.capabilities.maxFileBytes, this.drive.name);
    await h.file.truncate(size);
  }

  /**
   * truncate(2) by path. On a file open for writing (libfuse sends ftruncate this way too) it
   * changes the staged copy, committed by that handle's close; otherwise it is open, truncate,
   * close — never an upload of an emptied file ahead of the content being written.
   */
  async truncate(path: string, size: number): Promise<void> {
    checkNameLength(path);
    // Refused before anything is opened, fetched or staged.
    checkFileSize(path, size, this.drive.capabilities.maxFileBytes, this.drive.name);
    const open = this.unlinkedOpen.get(path)?.file ?? this.staged.get(path);
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

  async mkdir(path: string): Promise<void> {
    this.requireWritable();
    checkNewName(path);
    return this.ns.mkdir(path);
  }

  async rmdir(path: string): Promise<void> {
    this.requireWritable();
    checkNameLength(path);
    this.refuseWhileHoldingUnlinkedOpen(path);
    await this.ns.rmdir(path);
    this.unlinkedOpen.forgetBelow(path); // libfuse will not name them again (their handles go on)
  }

  async unlink(path: string): Promise<void> {
    this.requireWritable();
    checkNameLength(path);
    // libfuse removing the hidden name at the last close: the file is gone from the service already.
    if (this.unlinkedOpen.forget(path)) return;
    await this.recovering.after(path);
    return this.ns.unlink(path);
  }

  async rename(from: string, to: string): Promise<void> {
    this.requireWritable();
    checkNameLength(from);
    checkNewName(to);
    // libfuse hides an open file under a name that does not exist; a program's own rename onto
    // such a name that exists is an ordinary rename.
    if (isHideRename(from, to) && this.isOpen(from) && !(await this.exists(to))) return this.unlinkWhileOpen(from, to);
    this.refuseWhileHoldingUnlinkedOpen(to);
    await this.recovering.after(from, to);
    await this.ns.rename(from, to);
    this.renameReadHandles(from, to);
    this.unlinkedOpen.forgetBelow(to); // a folder replaced by the rename takes its hidden names along
    this.unlinkedOpen.renameBelow(from, to);
  }

  /** Files open for reading follow a rename (of themselves or of a folder above them). */
  private renameReadHandles(from: string, to: string): void {
    for (const h of this.handles.values()) {
      if (h.kind !== 'read') continue;
      if (h.path === from) h.path = to;
      else if (h.path.startsWith(from + '/')) h.path = to + h.path.slice(from.length);
    }
  }

  private async exists(path: string): Promise<boolean> {
    return this.getattr(path).then(
      () => true,
      (e: unknown) => {
        if (e instanceof DriveError && e.code === 'ENOENT') return false;
        throw e;
      },
    );
  }

  private refuseWhileHoldingUnlinkedOpen(dir: string): void {
    if (!this.opts.pathlessHandles && this.unlinkedOpen.hasBelow(dir)) {
      throw new DriveError('EBUSY', `${dir} holds a removed file that a program still has open; it can be removed once that file is closed`, { level: 'info' });
    }
  }

  async utimens(path: string, mtimeMs: number): Promise<void> {
    this.requireWritable();
    if (path === '') return; // a removed file's time (libfuse sets it after an ftruncate) goes nowhere
    checkNameLength(path);
    if (this.unlinkedOpen.get(path)) return; // a removed file's time goes nowhere
    return this.ns.utimens(path, mtimeMs);
  }

  /**
   * unlink of a file a program still has open (libfuse's rename to a hidden name): removed on
   * the service now, like any unlink, while its handles keep reading (and writing) the staged
   * copy or the removed entry. Nothing is ever uploaded for it; its staging file goes at the last close.
   */
  private async unlinkWhileOpen(path: string, hiddenPath: string): Promise<void> {
    const file = this.staged.get(path);
    const entry = file ? undefined : this.openEntry(path);
    await this.ns.unlink(path);
    this.unlinkedOpen.add(hiddenPath, { file, entry });
  }

  /** A removed file opened again through its open descriptor (`/proc/PID/fd/N`): libfuse names it by its hidden path. */
  private async reopenUnlinked(path: string, u: UnlinkedOpen, flags: OpenFlags): Promise<number> {
    if (u.file) {
      u.file.addUnlinkedHandle();
      if (flags.truncate) await u.file.truncate(0);
      return this.addHandle({ kind: 'staged', file: u.file });
    }
    if (flags.write || flags.truncate || !u.entry) throw new DriveError('EACCES', `${path} was removed; it can no longer be written`);
    return this.addHandle({ kind: 'read', path, entry: u.entry });
  }

  /** A handle is open on `path` now (libfuse hides only open files). */
  private isOpen(path: string): boolean {
    return this.staged.get(path) !== undefined || this.openEntry(path) !== undefined;
  }

  private openEntry(path: string): RemoteEntry | undefined {
    for (const h of this.handles.values()) if (h.kind === 'read' && h.path === path) return h.entry;
    return undefined;
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
    await this.poller?.stop();
    this.walkAhead.stop();
    for (const fh of [...this.handles.keys()]) await this.release(fh);
    await this.opts.readCache?.close();
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
