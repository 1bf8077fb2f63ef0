import { promises as fs } from 'node:fs';
import type { UploadSession } from '../../drives/types.js';
import type { StagedFile } from '../write/staged-file.js';
import { syncFile } from './durable-file.js';
import type { Journal } from './journal.js';
import type { RecordedState } from './record.js';

interface Tracked {
  upload?: { path: string; session: UploadSession };
}

/**
 * Keeps each staged file's record in step with it: written at every transition that leaves
 * bytes the service lacks, removed once the service has them or the file lost its name.
 */
export class StagedJournal {
  private readonly tracked = new WeakMap<StagedFile, Tracked>();

  constructor(readonly journal: Journal) {}

  track(f: StagedFile): void {
    this.tracked.set(f, {});
    f.observe((file) => void this.changed(file));
    if (f.state === 'dirty') void this.save(f);
  }

  /**
   * The program asked for these bytes (close or fsync) and their upload starts: the staged data
   * is made durable before the record that lets a later mount upload it (both in the file's
   * journal queue, so a session recorded meanwhile is written after them). Resolves false if
   * either could not be done.
   */
  beforeUpload(f: StagedFile): Promise<boolean> {
    if (!this.tracked.has(f)) return Promise.resolve(false);
    f.markAskedFor();
    return this.save(f, async () => {
      // A file created and not written yet has no staged copy on disk: an empty one stands for it.
      await (await fs.open(f.stagingPath, 'a', 0o600)).close();
      await syncFile(f.stagingPath);
    });
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
      return this.journal.remove(f.stagingPath);
    }
    // Written again: no session holds these bytes.
    if (f.state === 'dirty' && !f.askedFor) t.upload = undefined;
    return this.save(f);
  }

  private save(f: StagedFile, before?: () => Promise<void>): Promise<boolean> {
    const t = this.tracked.get(f)!;
    const r = f.remote;
    return this.journal.save(f.stagingPath, {
      path: f.path,
      base: r && { id: r.id, version: r.version, size: r.size, mtimeMs: r.mtimeMs },
      size: f.size,
      mtimeMs: f.mtimeMs,
      pendingMtimeMs: f.pendingMtimeMs,
      state: f.state as RecordedState,
      complete: f.askedFor,
      upload: t.upload,
    }, { before });
  }
}
