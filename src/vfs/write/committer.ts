import type { Drive, DriveWriter, RemoteEntry } from '../../drives/types.js';
import { DriveError, toDriveError } from '../../util/errors.js';
import { conflictPath } from '../journal/conflict-name.js';
import { changedSince } from '../journal/recovery.js';
import type { Logger } from '../../util/log.js';
import type { MetadataCache } from '../metadata-cache.js';
import type { StagedFile } from './staged-file.js';
import type { StagedJournal } from '../journal/staged-journal.js';

/** One upload under way: how much of it the service has acknowledged. */
export interface UploadProgress {
  path: string;
  size: number;
  committed: number;
  startedMs: number;
}

/** A file whose last upload failed, kept in the cache directory. */
export interface UploadFailure {
  path: string;
  reason: string;
  errno: string;
  kept: string;
  atMs: number;
}

/**
 * Sends staged files to the service: the upload itself, its progress for stats lines, the
 * caches that must learn the new entry, and the log line that names a failed file's kept bytes.
 */
export class Committer {
  /** Uploads running now, for progress lines. */
  private readonly inFlight = new Set<UploadProgress>();
  /** The last failure of each path, until it commits (bounded: the oldest go first). */
  private readonly failures = new Map<string, UploadFailure>();

  constructor(
    private readonly deps: {
      log: Logger; metadata: MetadataCache; writer: () => DriveWriter; journal?: StagedJournal;
      /** Asked for the remote item before it is overwritten (a stat). */
      drive: Drive;
      /** The open file now belongs at `to` (its conflict copy): the registry moves it there. */
      follow: (f: StagedFile, to: string) => void;
      /** A file is staged at this path (open, or queued for upload): the name is taken. */
      isStaged: (path: string) => boolean;
      now?: () => Date;
    },
  ) {}

  uploadsInFlight(): UploadProgress[] {
    return [...this.inFlight].map((u) => ({ ...u }));
  }

  uploadFailures(): UploadFailure[] {
    return [...this.failures.values()].map((f) => ({ ...f }));
  }

  /**
   * One stat of the item about to be overwritten: if its version is no longer the one `f` was
   * based on, `f` moves to a conflict copy's name beside it (the open file follows) and nothing is
   * replaced. Returns what the upload replaces.
   */
  private async besideIfChanged(f: StagedFile, base: RemoteEntry): Promise<RemoteEntry | undefined> {
    const { drive, log, metadata } = this.deps;
    const original = f.path;
    const current = await drive.stat(original).catch((e: unknown) => {
      if (e instanceof DriveError && e.code === 'ENOENT') return undefined; // removed meanwhile: ours recreates it
      throw e;
    });
    if (!current) {
      f.forgetBase(); // nothing is replaced: should the upload fail, no entry of the removed item comes back
      return undefined;
    }
    if (!changedSince(base, current, drive.capabilities.writeIdsProvisional === true)) return current;
    const target = await conflictPath(original, (this.deps.now ?? (() => new Date()))(), (p) =>
      // A name staged here and not uploaded yet is as taken as one the service holds.
      this.deps.isStaged(p) ? Promise.resolve(true) : drive.stat(p).then(
        () => true,
        (e: unknown) => {
          // Only "no such file" frees a name; a failed call must not let us overwrite one.
          if (e instanceof DriveError && e.code === 'ENOENT') return false;
          throw e;
        },
      ));
    this.deps.follow(f, target);
    metadata.put(original, current); // the other writer's file stays what the path shows
    log.warn({ path: original, committedAs: target }, `${original} changed on the service since it was opened here: these bytes are committed as ${target}, beside it`);
    return undefined;
  }

  /**
   * Upload the file if it changed; resolves once the service has committed it. On failure the
   * program gets the errno and the log names where the written bytes are kept.
   */
  async commit(f: StagedFile): Promise<void> {
    const writer = this.deps.writer();
    try {
      const started = Date.now();
      let replaces = f.remote;
      let progress: UploadProgress | undefined;
      let sendMs = 0;
      const entry = await f.commit(
        async (src, mtimeMs) => {
          // Someone else changed the item since this file was based on it: ours goes beside it.
          if (replaces) replaces = await this.besideIfChanged(f, replaces);
          progress = { path: f.path, size: src.size, committed: 0, startedMs: Date.now() };
          this.inFlight.add(progress);
          try {
            const journal = this.deps.journal;
            // The staged data and the record saying "asked for, upload under way" are durable
            // before the first byte goes: a crash at any point of the upload can then resume it.
            await journal?.beforeUpload(f);
            const sending = Date.now();
            try {
              return await writer.upload(f.path, src, { mtimeMs, replaces, onSession: journal && ((s) => journal.session(f, s)) });
            } finally {
              sendMs = Date.now() - sending;
            }
          } finally {
            this.inFlight.delete(progress);
          }
        },
        (committed) => {
          if (progress) progress.committed = committed;
        },
      );
      this.failures.delete(f.path);
      if (entry) {
        this.deps.log.debug({ path: f.path, bytes: entry.size, ms: Date.now() - started, sendMs }, 'committed');
        if (!f.detached) this.deps.metadata.put(f.path, entry);
        this.deps.metadata.childChanged(f.path);
      }
    } catch (e) {
      const err = toDriveError(e);
      if (f.detached) {
        // Unlinked or replaced meanwhile: nothing is kept for a file that no longer has a name.
        this.deps.log.error({ path: f.path, errno: err.code }, `writing ${f.path} failed: ${err.message} — the file was removed or replaced meanwhile, its data is discarded`);
      } else {
        this.failures.delete(f.path);
        this.failures.set(f.path, { path: f.path, reason: err.message, errno: err.code, kept: f.stagingPath, atMs: Date.now() });
        if (this.failures.size > 1000) this.failures.delete(this.failures.keys().next().value!);
        this.deps.log.error({ path: f.path, errno: err.code, kept: f.stagingPath }, `writing ${f.path} failed: ${err.message} — the data written is kept in ${f.stagingPath}`);
      }
      throw err.withLevel('silent'); // logged just above, with the place its data is kept
    }
  }
}
