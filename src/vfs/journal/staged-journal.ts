import { promises as fs } from 'node:fs';
import type { UploadSession } from '../../drives/types.js';
import { DriveError } from '../../util/errors.js';
import type { StagedFile } from '../write/staged-file.js';
import { syncFile } from '../../util/durable-file.js';
import type { Journal } from './journal.js';
import type { RecordedState } from './record.js';

interface Tracked {
  upload?: { path: string; session: UploadSession };
  /** The staged bytes as they are now were flushed to the local disk. */
  synced: boolean;
}

/**
 * Keeps each staged file's record in step with it: written at every transition that leaves
 * bytes the service lacks, removed once the service has them or the file lost its name.
 */
export class StagedJournal {
  private readonly tracked = new WeakMap<StagedFile, Tracked>();

  constructor(
    readonly journal: Journal,
    private readonly opts: {
      /**
       * Flush the staged bytes to disk before their upload (write-back: close() promises them).
       * Without it (sync mode: close() waits for the service, so nothing is promised sooner) the
       * upload reads them from the page cache and the record says they are unflushed; a failed
       * upload's kept copy is flushed then.
       */
      syncBeforeUpload: boolean;
    } = { syncBeforeUpload: true },
  ) {}

  track(f: StagedFile): void {
    this.tracked.set(f, { synced: false });
    f.observe((file) => void this.changed(file));
    f.guardRewrites(() => this.takeBack(f));
    if (f.state === 'dirty') void this.save(f);
  }

  /**
   * The program asked for these bytes (close or fsync) and their upload starts: the staged data
   * is made durable before the record that lets a later mount upload it (both in the file's
   * journal queue, so a session recorded meanwhile is written after them). Resolves false if
   * either could not be done.
   */
  beforeUpload(f: StagedFile): Promise<boolean> {
    const t = this.tracked.get(f);
    if (!t) return Promise.resolve(false);
    const sync = this.opts.syncBeforeUpload;
    // Another handle still open (a writer, or a reader closing first) may change the bytes yet:
    // the record then does not call them complete, so a crash keeps the file rather than
    // uploading half of it. The last close marks it.
    if (f.handles <= 1) f.markAskedFor();
    return this.save(f, async () => {
      // A file created and not written yet has no staged copy on disk: an empty one stands for
      // it. One with bytes must still be there ('r' fails if something removed it).
      await (await fs.open(f.stagingPath, f.size === 0 ? 'a' : 'r', 0o600)).close();
      if (sync) {
        await syncFile(f.stagingPath);
        t.synced = true;
      }
    }, f.askedFor, sync || t.synced);
  }

  /**
   * Bytes the record calls complete are about to change: before the first of them does, the
   * record says they are not (durably), and names no session (the service's partial upload holds
   * the old bytes). If that record cannot be written it is removed; if neither works, the write fails.
   */
  private async takeBack(f: StagedFile): Promise<void> {
    const t = this.tracked.get(f);
    // Only a dirty or failed file has a record that may call its bytes complete (committed and
    // detached ones have none, and must not get one here).
    if (!t || (f.state !== 'dirty' && f.state !== 'failed')) return;
    t.upload = undefined;
    if (await this.save(f, undefined, false)) return;
    if (await this.journal.remove(f.stagingPath, { durable: true })) return;
    throw new DriveError('EIO', `${f.path}: its journal record cannot be updated before the file changes again`);
  }

  /** The writer started (or advanced) a resumable session: keep it, for the next mount to go on with. */
  session(f: StagedFile, session: UploadSession): void {
    const t = this.tracked.get(f);
    if (!t || f.detached) return;
    t.upload = { path: f.path, session };
    void this.save(f);
  }

  private changed(f: StagedFile): Promise<unknown> {
    const t = this.tracked.get(f);
    if (!t) return Promise.resolve();
    if (f.state === 'detached' || f.state === 'committed' || f.state === 'open') {
      t.upload = undefined;
      return this.journal.remove(f.stagingPath, { durable: f.state === 'detached' });
    }
    // Written again: no session holds these bytes, nor the disk.
    if (f.state === 'dirty' && !f.askedFor) {
      t.upload = undefined;
      t.synced = false;
    }
    // A failed upload's bytes stay here for a later try, whatever happens to the machine meanwhile.
    if (f.state === 'failed' && !t.synced) {
      return this.save(f, async () => {
        await syncFile(f.stagingPath);
        t.synced = true;
      }, f.askedFor, true);
    }
    return this.save(f);
  }

  private save(f: StagedFile, before?: () => Promise<void>, complete = f.askedFor, dataSynced?: boolean): Promise<boolean> {
    const t = this.tracked.get(f)!;
    const r = f.remote;
    return this.journal.save(f.stagingPath, {
      path: f.path,
      base: r && { id: r.id, version: r.version, size: r.size, mtimeMs: r.mtimeMs },
      size: f.size,
      mtimeMs: f.mtimeMs,
      pendingMtimeMs: f.pendingMtimeMs,
      state: f.state as RecordedState,
      complete,
      dataSynced: dataSynced ?? t.synced,
      upload: t.upload,
    }, { before });
  }
}
