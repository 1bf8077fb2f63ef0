import type { promises as fs } from 'node:fs';
import type { HttpClient } from '../../http/client.js';
import type { Drive, DriveWriter, RemoteEntry } from '../../drives/types.js';
import { DriveError, toDriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { LinkCache } from '../link-cache.js';
import type { MetadataCache } from '../metadata-cache.js';
import { MemoryBudget } from '../prefetch/memory-budget.js';
import { Prefetcher, DEFAULT_PREFETCH } from '../prefetch/prefetcher.js';
import type { DownloadSlots } from '../prefetch/download-slots.js';
import { StagedFile } from './staged-file.js';
import type { StagingArea } from './staging-area.js';

/**
 * Every file currently being written, by mount path. Opening a path that is already staged
 * shares the staged file, so all handles (and `stat`) see the same bytes.
 */
/** One upload under way: how much of it the service has acknowledged. */
export interface UploadProgress {
  path: string;
  size: number;
  committed: number;
  startedMs: number;
}

export class StagedFiles {
  private readonly files = new Map<string, StagedFile>();
  /** Uploads running now, for progress lines. */
  private readonly inFlight = new Set<UploadProgress>();
  /** Downloads of existing content for read-modify-write use their own small budget. */
  private readonly fetchBudget = new MemoryBudget(64 << 20);

  constructor(
    private readonly deps: {
      drive: Drive; http: HttpClient; log: Logger; metadata: MetadataCache; links: LinkCache; staging: StagingArea;
      /** The service's cap on downloads in flight, shared with reads. */
      slots?: DownloadSlots;
    },
  ) {}

  get(path: string): StagedFile | undefined {
    return this.files.get(path);
  }

  /** Open (or join) the staged file for `path`. `remote` is the current file, if any. */
  async open(path: string, remote: RemoteEntry | undefined, truncate: boolean): Promise<StagedFile> {
    let f = this.files.get(path);
    if (!f) {
      f = new StagedFile(path, await this.deps.staging.newFile(path), remote, (fh, e) => this.fetchInto(path, fh, e), { truncate });
      // Another open may have raced us while the staging name was made.
      const other = this.files.get(path);
      if (other) f = other;
      else this.files.set(path, f);
    } else if (truncate) {
      await f.truncate(0);
    }
    f.handles++;
    this.deps.metadata.put(path, f.entry());
    return f;
  }

  uploadsInFlight(): UploadProgress[] {
    return [...this.inFlight].map((u) => ({ ...u }));
  }

  /**
   * Upload the file if it changed; resolves once the service has committed it. On failure the
   * program gets the errno and the log names where the written bytes are kept.
   */
  async commit(f: StagedFile): Promise<void> {
    const writer = this.writer();
    try {
      const started = Date.now();
      const replaces = f.remote;
      let progress: UploadProgress | undefined;
      const entry = await f.commit(
        async (src, mtimeMs) => {
          progress = { path: f.path, size: src.size, committed: 0, startedMs: Date.now() };
          this.inFlight.add(progress);
          try {
            return await writer.upload(f.path, src, { mtimeMs, replaces });
          } finally {
            this.inFlight.delete(progress);
          }
        },
        (committed) => {
          if (progress) progress.committed = committed;
        },
      );
      if (entry) {
        this.deps.log.debug({ path: f.path, bytes: entry.size, ms: Date.now() - started }, 'committed');
        this.deps.links.forget(entry.id);
        if (!f.detached) this.deps.metadata.put(f.path, entry);
        this.deps.metadata.childChanged(f.path);
      }
    } catch (e) {
      const err = toDriveError(e);
      f.commitFailed = true;
      this.deps.log.error({ path: f.path, errno: err.code, kept: f.stagingPath }, `writing ${f.path} failed: ${err.message} — the data written is kept in ${f.stagingPath}`);
      throw err.withLevel('silent'); // logged just above, with the place its data is kept
    }
  }

  /** One handle closed. The last one closes the staging file (kept if its bytes never reached the service). */
  async release(f: StagedFile): Promise<void> {
    if (--f.handles > 0) return;
    // flush normally committed already; this catches a close that skipped it.
    if (f.dirty && !f.detached && !f.commitFailed) await this.commit(f).catch(() => undefined);
    if (this.files.get(f.path) === f) this.files.delete(f.path);
    const { kept } = await f.close();
    if (kept) this.deps.log.debug({ path: f.path, kept: f.stagingPath }, 'staged file kept after a failed upload');
    if (f.detached) return;
    // From now on the service's state is the truth: the committed file, or what was there before.
    if (f.remote) this.deps.metadata.put(f.path, f.remote);
    else this.deps.metadata.remove(f.path);
  }

  /** The path was renamed: the open file follows it. */
  rename(from: string, to: string): void {
    const f = this.files.get(from);
    if (!f) return;
    this.files.delete(from);
    f.path = to;
    this.detach(to);
    this.files.set(to, f);
  }

  /** The path was deleted or replaced: what is open there must not be uploaded any more. */
  detach(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    f.detached = true;
    this.files.delete(path);
  }

  writer(): DriveWriter {
    const w = this.deps.drive.writer;
    if (!w) throw new DriveError('EROFS', `remote "${this.deps.drive.name}" cannot be written to`);
    return w;
  }

  /** Read-modify-write: bring the service's current bytes into the staging file, a few MiB at a time. */
  private async fetchInto(path: string, fh: fs.FileHandle, entry: RemoteEntry): Promise<void> {
    const { http, log, links } = this.deps;
    const reader = new Prefetcher(
      entry.size,
      { http, links: links.forFile(path, entry), log, path, slots: this.deps.slots, busyCodes: this.deps.drive.capabilities.busyDownloadCodes },
      this.fetchBudget,
      { ...DEFAULT_PREFETCH, maxWindow: 16 << 20 },
    );
    const buf = Buffer.allocUnsafe(4 << 20);
    try {
      for (let pos = 0; pos < entry.size; ) {
        const n = await reader.read(buf, pos, Math.min(buf.length, entry.size - pos));
        if (n === 0) break;
        await fh.write(buf, 0, n, pos);
        pos += n;
      }
    } finally {
      reader.close();
    }
  }
}
