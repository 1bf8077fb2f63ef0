import { promises as fs, constants as fsc, writeSync } from 'node:fs';
import type { RemoteEntry, UploadSource } from '../../drives/types.js';
import { DriveError } from '../../util/errors.js';
import { stagingError } from './local-errors.js';
import { holdsUnsentChanges, IllegalTransition, type StagedFileState } from './staged-file-state.js';

export type UploadFn = (src: UploadSource, mtimeMs: number | undefined) => Promise<RemoteEntry>;
import { baseName } from '../../util/posix-path.js';

/**
 * A file being written through the mount, kept in a local staging file until it is committed.
 * Shared by every handle open on the same path. The existing content is fetched only when a
 * write, read or truncate needs it (never when the file was opened with O_TRUNC or created).
 *
 * All of its state is private; it changes only through the transitions below, each of which
 * refuses (IllegalTransition) where it makes no sense.
 */
export class StagedFile {
  private _state: StagedFileState;
  private _path: string;
  private _remote: RemoteEntry | undefined;
  private _size: number;
  private _mtimeMs: number;
  /** A time set by utimens while unsent changes exist, applied with the upload. */
  private _pendingMtimeMs?: number;
  private _handles = 0;
  private fh?: fs.FileHandle;
  private opening?: Promise<fs.FileHandle>;
  private fetched: boolean;
  private fetching?: Promise<void>;
  /** Commit and writes must not interleave: an upload reads a stable snapshot. */
  private lock: Promise<void> = Promise.resolve();
  /** Told after every transition that changes the state, path or pending time (the journal). */
  private listener?: (f: StagedFile) => void;
  /** Its program asked for the bytes as they are now (close or fsync); a later write takes that back. */
  private _askedFor = false;
  /** The staging file was created (so a later open must not create it again). */
  private createdOnDisk = false;
  /** Awaited before bytes a program asked for change again: the journal takes back "complete" first. */
  private rewriteGuard?: () => Promise<void>;
  /** Awaited before a write makes the file larger (write-back: room in the upload queue). */
  private growthGate?: (size: number) => Promise<void>;

  constructor(
    path: string,
    readonly stagingPath: string,
    /** What the service holds now (undefined for a new file). */
    remote: RemoteEntry | undefined,
    /** Downloads the remote content into the staging file. */
    private readonly fetchRemote: (into: fs.FileHandle, entry: RemoteEntry) => Promise<void>,
    opts: { truncate: boolean },
  ) {
    this._path = path;
    this._remote = remote;
    this.fetched = !remote || opts.truncate || remote.size === 0;
    this._size = this.fetched ? 0 : remote!.size;
    this._mtimeMs = remote?.mtimeMs ?? Date.now();
    // A new file, or an existing one emptied by O_TRUNC, differs from the service already.
    this._state = !remote || (opts.truncate && remote.size > 0) ? 'dirty' : 'open';
  }

  get state(): StagedFileState {
    return this._state;
  }
  get path(): string {
    return this._path;
  }
  /** What the service holds now (undefined while a new file was never committed). */
  get remote(): RemoteEntry | undefined {
    return this._remote;
  }
  get size(): number {
    return this._size;
  }
  get mtimeMs(): number {
    return this._mtimeMs;
  }
  get pendingMtimeMs(): number | undefined {
    return this._pendingMtimeMs;
  }
  get handles(): number {
    return this._handles;
  }
  /** The bytes as they are now were asked for by close() or fsync(): they may be uploaded without asking again. */
  get askedFor(): boolean {
    return this._askedFor;
  }

  /** close() or fsync(): the program wants these bytes committed. */
  markAskedFor(): void {
    this._askedFor = true;
  }
  get detached(): boolean {
    return this._state === 'detached';
  }
  /** Written bytes (or a time) that the service does not have yet, whether or not a commit is trying. */
  get hasUnsentChanges(): boolean {
    return holdsUnsentChanges(this._state);
  }

  /** What stat shows while the file is open here. */
  entry(): RemoteEntry {
    const now = this._mtimeMs;
    return {
      id: this._remote?.id ?? `local:${this.stagingPath}`,
      name: baseName(this._path),
      isDir: false,
      size: this._size,
      mtimeMs: this._pendingMtimeMs ?? now,
      birthtimeMs: this._remote?.birthtimeMs ?? now,
    };
  }

  /** Run (and awaited) before the first change to bytes that were asked for; a failure fails that write. */
  guardRewrites(fn: () => Promise<void>): void {
    this.rewriteGuard = fn;
  }

  /** Run (and awaited) before a write that makes the file `size` bytes long. It may wait; it must not fail. */
  gateGrowth(fn: (size: number) => Promise<void>): void {
    this.growthGate = fn;
  }

  private async beforeChange(): Promise<void> {
    if (this._askedFor && this.rewriteGuard) await this.rewriteGuard();
  }

  /** One listener is told of each transition, after it happened. */
  observe(listener: (f: StagedFile) => void): void {
    this.listener = listener;
  }

  private changed(): void {
    this.listener?.(this);
  }

  // ── transitions driven by the registry and namespace operations ──

  /** One more handle shares this file. A detached file is out of the registry: nobody can join it. */
  addHandle(): void {
    this.refuseIn(['detached'], 'addHandle');
    this._handles++;
  }

  /** A file removed while open, opened again through an open descriptor: it stays detached and is never uploaded. */
  addUnlinkedHandle(): void {
    this.allowOnlyIn(['detached'], 'addUnlinkedHandle');
    this._handles++;
  }

  /** One handle closed; returns how many remain. */
  dropHandle(): number {
    if (this._handles === 0) throw new IllegalTransition(this._path, this._state, 'dropHandle with no handle open');
    return --this._handles;
  }

  /** The path was unlinked or renamed over while open: nothing may be uploaded for it any more. */
  detach(): void {
    this.refuseIn(['detached'], 'detach');
    this._state = 'detached';
    this.changed();
  }

  /**
   * The file stops standing for the remote item it was opened over (it is committed under another
   * name, or that item is gone): from now on it is a new file. Only during a commit, when the
   * item's old content is already all in the staged copy.
   */
  forgetBase(): void {
    this.allowOnlyIn(['committing'], 'forgetBase');
    this._remote = undefined;
    this.changed();
  }

  /** The file was renamed on the service while open here: it is now known by `to`. */
  followRename(to: string): void {
    this.refuseIn(['detached'], 'followRename');
    this._path = to;
    this.changed();
  }

  /** utimens while unsent changes exist: the time goes with the upload rather than ahead of it. */
  setPendingTime(mtimeMs: number): void {
    this.refuseIn(['open', 'committed', 'detached'], 'setPendingTime');
    this._pendingMtimeMs = mtimeMs;
    this.changed();
  }

  /**
   * The service's entry changed without an upload (its time was set directly). Unsent bytes stay
   * unsent; during a commit it is refused, as the upload's own entry is about to replace it.
   */
  remoteChanged(entry: RemoteEntry): void {
    this.refuseIn(['committing'], 'remoteChanged');
    this._remote = entry;
    this._mtimeMs = entry.mtimeMs;
    this.changed();
  }

  // ── content ──

  async write(buf: Buffer, len: number, pos: number): Promise<number> {
    // Outside the lock: the wait must not hold up reads, or the upload this file may be part of.
    if (this.growthGate && pos + len > this._size) await this.growthGate(pos + len);
    return this.exclusive(async () => {
      const fh = await this.ready();
      await this.beforeChange();
      // A synchronous write into the page cache (tens of µs for 128 KiB) is cheaper than a
      // round trip through libuv's thread pool, and the staging write rate bounds `cp`.
      let n: number;
      try {
        n = writeSync(fh.fd, buf, 0, len, pos);
      } catch (e) {
        // Disk full or over quota: this write fails, what was written before stays staged.
        throw stagingError(e, this._path, this.stagingPath, 'writing to');
      }
      this.markWritten(Math.max(this._size, pos + n));
      return n;
    });
  }

  async read(target: Buffer, len: number, pos: number): Promise<number> {
    const fh = await this.ready().catch((e: unknown) => {
      // read(2) has no "disk full": the copy could not be made, which a reader sees as EIO.
      if (e instanceof DriveError && (e.code === 'ENOSPC' || e.code === 'EDQUOT' || e.code === 'EFBIG')) throw new DriveError('EIO', e.message, { cause: e });
      throw e;
    });
    if (pos >= this._size) return 0;
    try {
      const { bytesRead } = await fh.read(target, 0, Math.min(len, this._size - pos), pos);
      return bytesRead;
    } catch (e) {
      throw stagingError(e, this._path, this.stagingPath, 'reading');
    }
  }

  async truncate(size: number): Promise<void> {
    return this.exclusive(async () => {
      if (size === 0) this.fetched = true; // nothing of the old content is needed
      const fh = await this.ready();
      await this.beforeChange();
      // A size the local filesystem cannot hold is EFBIG there, and the staged copy stays as it was.
      await fh.truncate(size).catch((e: unknown) => {
        throw stagingError(e, this._path, this.stagingPath, 'resizing');
      });
      this.markWritten(size);
    });
  }

  /**
   * Upload the staged bytes if they changed (or a time is pending), moving through committing to
   * committed or failed. Runs under the write lock so the upload sees one consistent file;
   * `upload` resolves only when the service has committed them. A detached file is never uploaded.
   */
  commit(upload: UploadFn, progress?: (committedBytes: number, size: number) => void): Promise<RemoteEntry | undefined> {
    return this.exclusive(async () => {
      if (this._state !== 'dirty' && this._state !== 'failed') return undefined;
      const fh = await this.ready();
      const mtimeMs = this._pendingMtimeMs;
      this.beginCommit();
      let entry: RemoteEntry;
      try {
        entry = await upload(snapshotOf(fh, this._size, progress), mtimeMs);
      } catch (e) {
        this.commitFailed();
        throw e;
      }
      this.commitSucceeded(entry, mtimeMs);
      return entry;
    });
  }

  /** Close the staging file's descriptor only (it waits for a later upload; any use opens it again). */
  closeFile(): Promise<void> {
    return this.exclusive(async () => {
      const fh = this.fh;
      this.fh = undefined;
      this.opening = undefined;
      await fh?.close();
    });
  }

  /** Close the staging file; delete it unless it holds bytes the service never got (and may still want). */
  async close(): Promise<{ kept: boolean }> {
    await this.lock;
    await this.fh?.close();
    this.fh = undefined;
    this.opening = undefined;
    const kept = this._state === 'dirty' || this._state === 'failed';
    if (!kept) await fs.rm(this.stagingPath, { force: true });
    return { kept };
  }

  // ── transitions of the content and the commit (under the lock) ──

  private markWritten(size: number): void {
    this.refuseIn(['committing'], 'markWritten'); // writes wait for the upload's snapshot
    this._size = size;
    this._mtimeMs = Date.now();
    const wasAsked = this._askedFor;
    this._askedFor = false;
    // A detached file stays detached: its bytes are only the program's now.
    if (this._state !== 'detached' && this._state !== 'dirty') {
      this._state = 'dirty';
      this.changed();
    } else if (wasAsked && this._state === 'dirty') {
      this.changed(); // written again after close: no longer what the program asked for
    }
  }

  private beginCommit(): void {
    this.allowOnlyIn(['dirty', 'failed'], 'beginCommit');
    this._state = 'committing';
    this.changed();
  }

  private commitSucceeded(entry: RemoteEntry, sentMtimeMs: number | undefined): void {
    this.allowOnlyIn(['committing', 'detached'], 'commitSucceeded');
    this._remote = entry;
    this._mtimeMs = entry.mtimeMs;
    // A time set while the upload ran was not part of it: it stays pending.
    if (this._pendingMtimeMs === sentMtimeMs) this._pendingMtimeMs = undefined;
    if (this._state === 'committing') this._state = this._pendingMtimeMs === undefined ? 'committed' : 'dirty';
    this.changed();
  }

  private commitFailed(): void {
    this.allowOnlyIn(['committing', 'detached'], 'commitFailed');
    if (this._state === 'committing') this._state = 'failed';
    this.changed();
  }

  private refuseIn(states: StagedFileState[], transition: string): void {
    if (states.includes(this._state)) throw new IllegalTransition(this._path, this._state, transition);
  }

  private allowOnlyIn(states: StagedFileState[], transition: string): void {
    if (!states.includes(this._state)) throw new IllegalTransition(this._path, this._state, transition);
  }

  private async ready(): Promise<fs.FileHandle> {
    // Created once; a later open (after closeFile) must find it: a staged copy that vanished is
    // an error, never an empty file uploaded in its place.
    const flags = this.createdOnDisk ? fsc.O_RDWR : fsc.O_RDWR | fsc.O_CREAT;
    this.opening ??= fs.open(this.stagingPath, flags, 0o600).catch((e: unknown) => {
      this.opening = undefined;
      throw stagingError(e, this._path, this.stagingPath, 'opening');
    });
    this.fh ??= await this.opening;
    this.createdOnDisk = true;
    if (!this.fetched) {
      this.fetching ??= this.fetchRemote(this.fh, this._remote!).then(
        () => {
          this.fetched = true;
        },
        (e: unknown) => {
          this.fetching = undefined;
          if (e instanceof DriveError) throw e;
          const code = (e as NodeJS.ErrnoException).code;
          // The cache directory filled up while the current content came in: that, not EIO.
          if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') throw stagingError(e, this._path, this.stagingPath, 'fetching the current content into');
          throw new DriveError('EIO', `${this._path}: fetching its current content failed: ${(e as Error).message}`);
        },
      );
      await this.fetching;
    }
    return this.fh;
  }

  /** Resolves once every write, truncate and upload queued so far has finished. */
  settled(): Promise<void> {
    return this.lock;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** The staged bytes as an upload reads them: `size` is fixed when the commit starts. */
export function snapshotOf(fh: fs.FileHandle, size: number, progress?: (committedBytes: number, size: number) => void): UploadSource {
  return {
    size,
    async read(offset, length, into) {
      const buf = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      // Short only at the end: a staged copy shorter than its size lost bytes (removed or cut by
      // something else) and must never be uploaded as if it were the file.
      if (got < length && offset + got < size) throw new DriveError('EIO', `the staged copy holds ${offset + got} of its ${size} bytes; it is not uploaded`);
      return buf.subarray(0, got);
    },
    progress: progress && ((n) => progress(n, size)),
  };
}
