import { promises as fs, constants as fsc, writeSync } from 'node:fs';
import type { RemoteEntry, UploadSource } from '../../drives/types.js';
import { DriveError } from '../../util/errors.js';
import { baseName } from '../../util/posix-path.js';

/**
 * A file being written through the mount, kept in a local staging file until it is committed.
 * Shared by every handle open on the same path. The existing content is fetched only when a
 * write, read or truncate needs it (never when the file was opened with O_TRUNC or created).
 */
export class StagedFile {
  size: number;
  mtimeMs: number;
  /** Local bytes differ from the service's. */
  dirty = false;
  /** A time set by utimens while open, applied when the file is committed. */
  pendingMtimeMs?: number;
  /** The path was unlinked or renamed over while open: nothing may be uploaded for it. */
  detached = false;
  /** The last commit failed and nothing changed since: closing must not try (and log) again. */
  commitFailed = false;
  handles = 0;
  private fh?: fs.FileHandle;
  private opening?: Promise<fs.FileHandle>;
  private fetched: boolean;
  private fetching?: Promise<void>;
  /** Commit and writes must not interleave: an upload reads a stable snapshot. */
  private lock: Promise<void> = Promise.resolve();

  constructor(
    public path: string,
    readonly stagingPath: string,
    /** What the service holds now (undefined for a new file). */
    public remote: RemoteEntry | undefined,
    /** Downloads the remote content into the staging file. */
    private readonly fetchRemote: (into: fs.FileHandle, entry: RemoteEntry) => Promise<void>,
    opts: { truncate: boolean },
  ) {
    this.fetched = !remote || opts.truncate || remote.size === 0;
    this.size = this.fetched ? 0 : remote!.size;
    this.mtimeMs = remote?.mtimeMs ?? Date.now();
    if (!remote || (opts.truncate && remote.size > 0)) this.dirty = true;
  }

  /** What stat shows while the file is open here. */
  entry(): RemoteEntry {
    const now = this.mtimeMs;
    return {
      id: this.remote?.id ?? `local:${this.stagingPath}`,
      name: baseName(this.path),
      isDir: false,
      size: this.size,
      mtimeMs: this.pendingMtimeMs ?? now,
      birthtimeMs: this.remote?.birthtimeMs ?? now,
    };
  }

  async write(buf: Buffer, len: number, pos: number): Promise<number> {
    return this.exclusive(async () => {
      const fh = await this.ready();
      // A synchronous write into the page cache (tens of µs for 128 KiB) is cheaper than a
      // round trip through libuv's thread pool, and the staging write rate bounds `cp`.
      const n = writeSync(fh.fd, buf, 0, len, pos);
      this.size = Math.max(this.size, pos + n);
      this.touch();
      return n;
    });
  }

  async read(target: Buffer, len: number, pos: number): Promise<number> {
    const fh = await this.ready();
    if (pos >= this.size) return 0;
    const { bytesRead } = await fh.read(target, 0, Math.min(len, this.size - pos), pos);
    return bytesRead;
  }

  async truncate(size: number): Promise<void> {
    return this.exclusive(async () => {
      if (size === 0) this.fetched = true; // nothing of the old content is needed
      const fh = await this.ready();
      await fh.truncate(size);
      this.size = size;
      this.touch();
    });
  }

  /**
   * Upload the staged bytes if they changed. Runs under the write lock so the upload sees one
   * consistent file; `upload` resolves only when the service has committed them.
   */
  commit(
    upload: (src: UploadSource, mtimeMs: number | undefined) => Promise<RemoteEntry>,
    progress?: (committedBytes: number, size: number) => void,
  ): Promise<RemoteEntry | undefined> {
    return this.exclusive(async () => {
      if (this.detached || (!this.dirty && this.pendingMtimeMs === undefined)) return undefined;
      const fh = await this.ready();
      const size = this.size;
      const src: UploadSource = {
        size,
        async read(offset, length, into) {
          const buf = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
          let got = 0;
          while (got < length) {
            const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
          return buf.subarray(0, got);
        },
        progress: progress && ((n) => progress(n, size)),
      };
      const entry = await upload(src, this.pendingMtimeMs);
      this.remote = entry;
      this.dirty = false;
      this.pendingMtimeMs = undefined;
      this.mtimeMs = entry.mtimeMs;
      return entry;
    });
  }

  /** Close the staging file; delete it when everything in it reached the service. */
  async close(): Promise<{ kept: boolean }> {
    await this.lock;
    await this.fh?.close();
    this.fh = undefined;
    this.opening = undefined;
    const kept = this.dirty && !this.detached;
    if (!kept) await fs.rm(this.stagingPath, { force: true });
    return { kept };
  }

  private touch(): void {
    this.dirty = true;
    this.commitFailed = false;
    this.mtimeMs = Date.now();
  }

  private async ready(): Promise<fs.FileHandle> {
    this.opening ??= fs.open(this.stagingPath, fsc.O_RDWR | fsc.O_CREAT, 0o600);
    this.fh ??= await this.opening;
    if (!this.fetched) {
      this.fetching ??= this.fetchRemote(this.fh, this.remote!).then(
        () => {
          this.fetched = true;
        },
        (e: unknown) => {
          this.fetching = undefined;
          throw e instanceof DriveError ? e : new DriveError('EIO', `${this.path}: fetching its current content failed: ${(e as Error).message}`);
        },
      );
      await this.fetching;
    }
    return this.fh;
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
