import type { Logger } from '../../../util/log.js';
import { DriveError } from '../../../util/errors.js';
import type { DownloadLink, RemoteEntry } from '../../types.js';

/** The user's own drive, as far as the copy fallback needs it (own-drive.ts wires it to the legacy API). */
export interface OwnDrive {
  /** The folder that holds this share's copies, made when missing: its file_id. */
  copiesFolder(): Promise<string>;
  /** The ids of a folder's children. */
  children(folderId: string): Promise<string[]>;
  /** A new folder `name` in `parentId`: its file_id. */
  mkdir(parentId: string, name: string): Promise<string>;
  /** Copy a shared file into a folder of the user's drive: the copy's file_id. */
  copyFromShare(shareFileId: string, toParentId: string): Promise<string>;
  /** A download link (with the headers its host wants) for a file of the user's drive. */
  linkOf(fileId: string): Promise<DownloadLink>;
  /** Delete permanently (not to the recycle bin, which would fill up with copies). */
  remove(fileId: string): Promise<void>;
}

export interface ShareCopiesOptions {
  /** Copies that exist at once; more wait for one to be evicted. */
  maxCopies?: number;
  /** A copy nothing reads is deleted after this long (ms). */
  idleMs?: number;
  /** How often idle copies are looked for (ms). */
  sweepMs?: number;
}

interface Copy {
  /** The per-file folder holding the copy (deleted with it), and the copy itself. */
  made: Promise<{ folderId: string; fileId: string }>;
  lastUsed: number;
}

/**
 * Reads of a share through temporary copies in the user's own drive, for when the service
 * refuses share download links. Each shared file read is copied once into its own folder under
 * the copies folder (a copy keeps the shared file's name, so files of one name cannot clash);
 * copies are shared by all reads of the file, at most `maxCopies` exist at once, and one is
 * deleted when no read holds it and none came for `idleMs`, or on close. Copies a crashed mount
 * left behind are deleted by removeLeftovers() at the next connect.
 */
export class ShareCopies {
  private readonly copies = new Map<string, Copy>();
  /** Reads in progress per shared file id (held copies are never evicted). */
  private readonly holds = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private folder?: Promise<string>;
  private readonly maxCopies: number;
  private readonly idleMs: number;
  /** Copies made and deleted, for tests and the log. */
  made = 0;
  deleted = 0;

  constructor(
    private readonly own: OwnDrive,
    private readonly log: Logger,
    private readonly remote: string,
    opts: ShareCopiesOptions = {},
  ) {
    this.maxCopies = opts.maxCopies ?? 4;
    this.idleMs = opts.idleMs ?? 30_000;
    this.timer = setInterval(() => void this.sweep(), opts.sweepMs ?? 5_000);
    this.timer.unref();
  }

  /** Delete what the copies folder still holds (a crashed mount's copies). */
  async removeLeftovers(): Promise<number> {
    const folder = await this.folderId();
    const left = await this.own.children(folder);
    for (const id of left) await this.own.remove(id);
    if (left.length > 0) this.log.info({ remote: this.remote, count: left.length }, 'removed share copies left by an earlier mount');
    return left.length;
  }

  /** A read of `entry` starts: its copy stays until the returned release is called (and idles out). */
  hold(entry: RemoteEntry): () => void {
    this.holds.set(entry.id, (this.holds.get(entry.id) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.holds.get(entry.id) ?? 1) - 1;
      if (n > 0) this.holds.set(entry.id, n);
      else this.holds.delete(entry.id);
      const c = this.copies.get(entry.id);
      if (c) c.lastUsed = Date.now();
    };
  }

  /** A download link to the copy of `entry`, copying it first if needed. */
  async linkFor(entry: RemoteEntry): Promise<DownloadLink> {
    let c = this.copies.get(entry.id);
    if (!c) {
      await this.slot(entry.id);
      c = this.copies.get(entry.id);
      if (!c) {
        c = { made: this.make(entry), lastUsed: Date.now() };
        this.copies.set(entry.id, c);
        c.made.catch(() => {
          if (this.copies.get(entry.id) === c) this.copies.delete(entry.id);
          this.wake();
        });
      }
    }
    c.lastUsed = Date.now();
    const { fileId } = await c.made;
    return this.own.linkOf(fileId);
  }

  /** Delete every copy (the mount ends). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.copies.keys()].map((id) => this.drop(id)));
  }

  /** Delete copies nothing holds and nothing read for idleMs. */
  async sweep(now = Date.now()): Promise<void> {
    const idle = [...this.copies.entries()].filter(([id, c]) => !this.holds.has(id) && now - c.lastUsed >= this.idleMs);
    await Promise.all(idle.map(([id]) => this.drop(id)));
  }

  private async make(entry: RemoteEntry): Promise<{ folderId: string; fileId: string }> {
    const parent = await this.folderId();
    const folderId = await this.own.mkdir(parent, entry.id);
    try {
      const fileId = await this.own.copyFromShare(entry.id, folderId);
      this.made++;
      return { folderId, fileId };
    } catch (e) {
      await this.own.remove(folderId).catch(() => undefined);
      throw e;
    }
  }

  /** Waits until fewer than maxCopies exist, evicting the least recently used copy nothing holds. */
  private async slot(forId: string): Promise<void> {
    while (this.copies.size >= this.maxCopies && !this.copies.has(forId)) {
      const victim = [...this.copies.entries()].filter(([id]) => !this.holds.has(id)).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (victim) {
        await this.drop(victim[0]);
        continue;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async drop(id: string): Promise<void> {
    const c = this.copies.get(id);
    if (!c) return;
    this.copies.delete(id);
    try {
      const { folderId } = await c.made;
      await this.own.remove(folderId);
      this.deleted++;
    } catch (e) {
      // A copy that was never made needs no deleting; one that stays is removed at the next connect.
      if (!(e instanceof DriveError && e.code === 'ENOENT')) this.log.debug({ remote: this.remote, id, err: (e as Error).message }, 'share copy not deleted');
    } finally {
      this.wake();
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private folderId(): Promise<string> {
    this.folder ??= this.own.copiesFolder().catch((e: unknown) => {
      this.folder = undefined;
      throw e;
    });
    return this.folder;
  }
}
