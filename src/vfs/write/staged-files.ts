import type { promises as fs } from 'node:fs';
import type { Drive, DriveWriter, RemoteEntry } from '../../drives/types.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { MetadataCache } from '../metadata-cache.js';
import { MemoryBudget } from '../prefetch/memory-budget.js';
import { Prefetcher, DEFAULT_PREFETCH } from '../prefetch/prefetcher.js';
import { driveContent } from '../prefetch/content-source.js';
import { Committer, type UploadFailure, type UploadProgress } from './committer.js';
import { StagedFile } from './staged-file.js';
import type { StagingArea } from './staging-area.js';
import type { StagedJournal } from '../journal/staged-journal.js';
import { WriteBackQueue } from './write-back.js';

export type { UploadFailure, UploadProgress } from './committer.js';

/**
 * Every file currently being written, by mount path: the registry that owns each StagedFile's
 * handles, renames and detaching. Opening a path that is already staged shares the staged file,
 * so all handles (and `stat`) see the same bytes. Uploads go through the Committer.
 */
export class StagedFiles {
  private readonly files = new Map<string, StagedFile>();
  /** Present in write-back mode. */
  readonly writeBack?: WriteBackQueue;
  private readonly committer: Committer;
  /** Downloads of existing content for read-modify-write use their own small budget. */
  private readonly fetchBudget = new MemoryBudget(64 << 20);

  constructor(
    private readonly deps: {
      drive: Drive; log: Logger; metadata: MetadataCache; staging: StagingArea;
      /** Records of staged files for recovery after a crash (absent: none kept). */
      journal?: StagedJournal;
      /** Write-back: close() returns once staged and journaled; the upload follows this many ms later. */
      writeBackMs?: number;
      /** Write-back: bytes the queue may hold before a write() or close() waits for uploads. */
      writeBackMaxBytes?: number;
    },
  ) {
    const { log, metadata, journal } = deps;
    this.committer = new Committer({ log, metadata, writer: () => this.writer(), journal, drive: deps.drive, follow: (f, to) => this.follow(f, to), isStaged: (p) => this.files.has(p) });
    if (deps.writeBackMs !== undefined && journal) {
      this.writeBack = new WriteBackQueue({ delayMs: deps.writeBackMs, log, commit: (f) => this.commit(f), done: (f) => this.finish(f) });
    }
  }

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
      else {
        this.files.set(path, f);
        this.deps.journal?.track(f);
        // Write-back: a write that would take the queue past its limit waits for uploads to
        // make room (the writer is slowed, never failed).
        const max = this.deps.writeBackMaxBytes;
        const queue = this.writeBack;
        const file = f;
        if (queue && max !== undefined) file.gateGrowth((size) => queue.roomFor(file, max, size));
      }
      f.addHandle();
    } else {
      // Counted before the truncate waits, so an unlink meanwhile still finds this handle.
      f.addHandle();
      if (truncate) {
        try {
          await f.truncate(0);
        } catch (e) {
          f.dropHandle();
          throw e;
        }
      }
    }
    this.deps.metadata.put(path, f.entry());
    return f;
  }

  uploadsInFlight(): UploadProgress[] {
    return this.committer.uploadsInFlight();
  }

  uploadFailures(): UploadFailure[] {
    return this.committer.uploadFailures();
  }

  /** Upload the file if it changed; see Committer.commit. */
  commit(f: StagedFile): Promise<void> {
    return this.committer.commit(f);
  }

  /**
   * close(): in sync mode, commit (success means the service has the bytes). In write-back mode,
   * make the staged bytes and their record durable and queue the upload; should that fail (the
   * cache disk), commit now instead, so close() never promises what the disk does not hold.
   */
  async flush(f: StagedFile): Promise<void> {
    if (!this.writeBack || !this.deps.journal) return this.commit(f);
    if (f.state === 'committing') await f.settled();
    if (f.state !== 'dirty' && f.state !== 'failed') return;
    if (!(await this.deps.journal.beforeUpload(f))) return this.commit(f);
    this.writeBack.schedule(f);
    // The queue is full: the writer waits here for uploads to make room (it does not fail).
    if (this.deps.writeBackMaxBytes !== undefined) await this.writeBack.roomFor(f, this.deps.writeBackMaxBytes);
  }

  /** One handle closed. The last one closes the staging file (kept if its bytes never reached the service). */
  async release(f: StagedFile): Promise<void> {
    if (f.dropHandle() > 0) return;
    if (this.writeBack?.has(f) && !f.detached) {
      // The last handle: if an earlier close left the record short of "complete" (another
      // handle was still open then), the bytes are final now.
      if (!f.askedFor && f.state === 'dirty') await this.deps.journal?.beforeUpload(f);
      // Queued: it stays here (stat, reads and a reopen see its bytes) until its upload is done.
      await f.closeFile();
      return;
    }
    // flush normally committed already; this catches a close that skipped it. A failed commit is
    // not tried (and logged) again unless the file changed since.
    if (f.state === 'dirty' || f.state === 'committing') await this.commit(f).catch(() => undefined);
    if (f.handles > 0) return; // opened again while the upload ran: the new handle owns it now
    if (this.files.get(f.path) === f) this.files.delete(f.path);
    // From now on the service's state is the truth: the committed file, or what was there before.
    // Told in the same step as the file leaves the registry: a utimens or rename arriving while
    // the staging file closes (the kernel sends release after close(2) returned) finds this entry
    // and its own answer wins, rather than being overwritten by this older one afterwards.
    if (!f.detached) {
      if (f.remote) this.deps.metadata.put(f.path, f.remote);
      else this.deps.metadata.remove(f.path);
    }
    const { kept } = await f.close();
    if (kept) this.deps.log.debug({ path: f.path, kept: f.stagingPath }, 'staged file kept after a failed upload');
  }

  /** A queued upload finished: unless opened again meanwhile, the file leaves as a release would take it. */
  private async finish(f: StagedFile): Promise<void> {
    if (f.handles > 0) return;
    if (this.files.get(f.path) === f) this.files.delete(f.path);
    if (!f.detached) {
      if (f.remote) this.deps.metadata.put(f.path, f.remote);
      else this.deps.metadata.remove(f.path);
    }
    await f.close();
  }

  /** `f` is committed under another name (a conflict copy): its handles, stat and journal follow. */
  private follow(f: StagedFile, to: string): void {
    // The name was chosen free of staged files with no I/O since: one there now is a bug, and
    // failing this commit (bytes kept) is safer than detaching that file's bytes.
    if (this.files.has(to)) throw new DriveError('EIO', `${f.path}: its conflict name ${to} was taken meanwhile`);
    if (this.files.get(f.path) === f) this.files.delete(f.path);
    // The copy is a new item: the other writer's item is not its base, so an rm or mv of the
    // copy (its upload failed, say) never acts on theirs.
    f.forgetBase();
    f.followRename(to);
    this.files.set(to, f);
    this.deps.metadata.put(to, f.entry());
  }

  /** The path was renamed: the open file follows it. */
  rename(from: string, to: string): void {
    // Whatever was open at the target was replaced: it must never be uploaded over the new file.
    this.detach(to);
    // The renamed file, or every file open below a renamed folder, follows to its new path.
    const prefix = from + '/';
    for (const [p, f] of [...this.files]) {
      if (p !== from && !p.startsWith(prefix)) continue;
      const moved = to + p.slice(from.length);
      this.files.delete(p);
      f.followRename(moved);
      this.files.set(moved, f);
    }
  }

  /** A file is open somewhere below folder `dir` (so the folder is not empty, whatever the service says). */
  hasBelow(dir: string): boolean {
    const prefix = dir === '/' ? '/' : dir + '/';
    for (const p of this.files.keys()) if (p.startsWith(prefix)) return true;
    return false;
  }

  /** Once the journal holds what the file's latest transition says (an unlink's record removal, a rename's new path). */
  async journalIdle(f: StagedFile): Promise<void> {
    await this.deps.journal?.journal.idle(f.stagingPath);
  }

  /** The path was deleted or replaced: what is open there must not be uploaded any more. */
  detach(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    f.detach();
    this.files.delete(path);
  }

  writer(): DriveWriter {
    const w = this.deps.drive.writer;
    if (!w) throw new DriveError('EROFS', `remote "${this.deps.drive.name}" cannot be written to`);
    return w;
  }

  /** Read-modify-write: bring the service's current bytes into the staging file, a few MiB at a time. */
  private async fetchInto(path: string, fh: fs.FileHandle, entry: RemoteEntry): Promise<void> {
    const { drive, log } = this.deps;
    const reader = new Prefetcher(
      entry.size,
      { content: driveContent(drive, path, entry), log, path },
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
