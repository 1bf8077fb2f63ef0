import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../util/log.js';
import { syncDir, writeDurably } from '../../util/durable-file.js';
import { bootId } from '../../util/boot-id.js';
import { DamagedRecord, parseRecord, RECORD_SUFFIX, type JournalRecord } from './record.js';

/** A staging file name as StagingArea makes them: `<ms>-<8 hex>-<name>`. */
const STAGED_NAME = /^\d+-[0-9a-f]{8}-[\w.\-]+$/;
/** writeDurably's temporary name of a record. */
const TEMPORARY = /#journal\.json\.[0-9a-f]{8}\.tmp$/;

export interface ScannedRecord {
  record: JournalRecord;
  /** The staged file's full path. */
  staged: string;
}

export interface JournalScan {
  /** Records of this remote. */
  records: ScannedRecord[];
  /** Records that cannot be read: their staged file (if any) is kept. */
  damaged: { record: string; staged: string; reason: string }[];
  /** Staged files with no record at all (written before a record could be made, or by an older version). */
  unrecorded: string[];
  /** Records of other remotes sharing this cache folder (left alone). */
  otherRemotes: number;
}

/**
 * The records of staged files, one file each beside the staged copy in the cache folder. Every
 * write is durable (tmp + fsync + rename + folder fsync); the writes of one staged file happen
 * in the order asked, so a later state never loses to an earlier one.
 */
export class Journal {
  private readonly chains = new Map<string, Promise<unknown>>();
  private warned = false;

  constructor(
    readonly dir: string,
    readonly remote: string,
    private readonly log: Logger,
  ) {}

  recordPath(staged: string): string {
    return staged + RECORD_SUFFIX;
  }

  /** Write the record of `staged`; resolves once it is on disk. A failure is logged (once) and answered false. */
  save(staged: string, record: Omit<JournalRecord, 'remote' | 'staged' | 'v' | 'updatedMs' | 'bootId'>, opts: { before?: () => Promise<void> } = {}): Promise<boolean> {
    const full: JournalRecord = { v: 1, remote: this.remote, staged: path.basename(staged), ...record, bootId: bootId(), updatedMs: Date.now() };
    return this.inOrder(staged, async () => {
      // In the same queue, so no later record of this file lands before this step is done.
      let ok = true;
      if (opts.before) {
        try {
          await opts.before();
        } catch (e) {
          this.failed(staged, e);
          ok = false;
        }
      }
      // Data that could not be made durable is never recorded as complete (a later mount would upload it).
      const written = ok ? full : { ...full, complete: false, upload: undefined };
      try {
        await writeDurably(this.recordPath(staged), JSON.stringify(written));
        return ok;
      } catch (e) {
        this.failed(staged, e);
        return false;
      }
    });
  }

  /**
   * The staged file no longer needs a record (committed, discarded, or its name is gone); false
   * if it could not be removed. `durable`: the removal itself reaches the disk (an unlinked
   * file's record that a power cut brought back would resurrect the file; a committed one's only
   * finds the service holding its bytes, so it needs no fsync on the write path).
   */
  remove(staged: string, o: { durable?: boolean } = {}): Promise<boolean> {
    return this.inOrder(staged, async () => {
      try {
        await fs.rm(this.recordPath(staged), { force: true });
        if (o.durable) await syncDir(this.dir);
        return true;
      } catch (e) {
        this.failed(staged, e);
        return false;
      }
    });
  }

  /** Remove temporary copies of records a crash left half-written (the record itself is the old or the new one). */
  async dropTemporaries(): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) if (TEMPORARY.test(n)) await fs.rm(path.join(this.dir, n), { force: true });
  }

  /** Every record in the folder, sorted out (nothing is changed). */
  async scan(): Promise<JournalScan> {
    const out: JournalScan = { records: [], damaged: [], unrecorded: [], otherRemotes: 0 };
    const names = await fs.readdir(this.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    const recorded = new Set<string>();
    for (const name of names) {
      if (!name.endsWith(RECORD_SUFFIX)) continue;
      const stagedName = name.slice(0, -RECORD_SUFFIX.length);
      recorded.add(stagedName);
      const file = path.join(this.dir, name);
      const staged = path.join(this.dir, stagedName);
      try {
        const record = parseRecord(await fs.readFile(file, 'utf8'));
        if (record.staged !== stagedName) throw new DamagedRecord(`names staged file ${record.staged}, but sits beside ${stagedName}`);
        if (record.remote !== this.remote) out.otherRemotes++;
        else out.records.push({ record, staged });
      } catch (e) {
        out.damaged.push({ record: file, staged, reason: e instanceof DamagedRecord ? e.message : (e as Error).message });
      }
    }
    for (const name of names) if (STAGED_NAME.test(name) && !recorded.has(name)) out.unrecorded.push(path.join(this.dir, name));
    return out;
  }

  /** Resolves once every record write or removal of `staged` asked for so far is done. */
  async idle(staged: string): Promise<void> {
    await this.chains.get(staged)?.catch(() => undefined);
  }

  private inOrder<T>(staged: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(staged) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.chains.set(staged, next);
    void next.finally(() => {
      if (this.chains.get(staged) === next) this.chains.delete(staged);
    });
    return next;
  }

  private failed(staged: string, e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    // The upload itself goes on; only what a crash would leave behind is less well described.
    this.log.warn({ staged, err: (e as Error).message }, `the journal record of ${staged} could not be written: ${(e as Error).message} (a crash now would leave the staged file without its record)`);
  }
}
