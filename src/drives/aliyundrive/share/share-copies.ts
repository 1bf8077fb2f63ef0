import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../util/log.js';
import { DriveError } from '../../../util/errors.js';
import type { DownloadLink, RemoteEntry } from '../../types.js';

/** The user's own drive, as far as the copy fallback needs it (own-drive.ts wires it to the legacy API). */
export interface OwnDrive {
  /** The folder that holds this share's copies, made when missing: its file_id. */
  copiesFolder(): Promise<string>;
  /** A folder's children. */
  children(folderId: string): Promise<Array<{ id: string; name: string }>>;
  /** A new folder `name` in `parentId`: its file_id. */
  mkdir(parentId: string, name: string): Promise<string>;
  /** Copy a shared file into a folder of the user's drive: the copy's file_id. */
  copyFromShare(shareFileId: string, toParentId: string): Promise<string>;
  /** A download link (with the headers its host wants) for a file of the user's drive. */
  linkOf(fileId: string): Promise<DownloadLink>;
  /** Remove an item the documented way (the legacy API documents the recycle bin only). */
  remove(fileId: string): Promise<void>;
}

export interface ShareCopiesOptions {
  /** Copies that exist at once; more wait for one to be evicted. */
  maxCopies?: number;
  /** A copy nothing reads is deleted after this long (ms). */
  idleMs?: number;
  /** How often idle copies are looked for (ms). */
  sweepMs?: number;
  /** Longest a read waits for a copy to be free for it (ms); then EBUSY. */
  slotWaitMs?: number;
  /** This mount's name among the share's copy folders (tests name a dead one). */
  mountId?: string;
}

/** Mount folders are named host-pid-random: a mount of this host whose process is gone is dead. */
const MOUNT_NAME = /^(.+)-(\d+)-([0-9a-f]{8})$/;

export function newMountId(): string {
  return `${os.hostname().replace(/[^A-Za-z0-9.]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Mount ids of this process still open: a same-process leftover is dead when not among them. */
const openHere = new Set<string>();

/** Whether the mount that named a copies folder `name` has ended (it cannot come back for its copies). */
export function isDeadMount(name: string): boolean {
  const m = MOUNT_NAME.exec(name);
  if (!m) return true; // not a mount folder (an older layout): nothing reads it
  if (m[1] !== os.hostname().replace(/[^A-Za-z0-9.]/g, '_')) return false; // another machine's: it cannot be checked, so it stays
  const pid = Number(m[2]);
  if (pid === process.pid) return !openHere.has(name);
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
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
 * removed when no read holds it and none came for `idleMs`, or on close. Each mount keeps its
 * copies in a folder of its own (host-pid-random); removeLeftovers() at connect removes the
 * folders of mounts that ended (crashed), never those of live mounts.
 */
export class ShareCopies {
  private readonly copies = new Map<string, Copy>();
  /** Reads in progress per shared file id (held copies are never evicted). */
  private readonly holds = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  private timer?: NodeJS.Timeout;
  private folder?: Promise<string>;
  private shareFolder?: Promise<string>;
  private readonly maxCopies: number;
  private readonly idleMs: number;
  private readonly slotWaitMs: number;
  readonly mountId: string;
  private warnedDelete = false;
  private warnedBusy = false;
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
    this.slotWaitMs = opts.slotWaitMs ?? 60_000;
    this.mountId = opts.mountId ?? newMountId();
    openHere.add(this.mountId);
    this.timer = setInterval(() => void this.sweep(), opts.sweepMs ?? 5_000);
    this.timer.unref();
  }

  /** Remove the copy folders of mounts that have ended (crashed); live mounts' folders stay. */
  async removeLeftovers(): Promise<number> {
    const share = await this.shareFolderId();
    const dead = (await this.own.children(share)).filter((c) => c.name !== this.mountId && isDeadMount(c.name));
    for (const c of dead) await this.own.remove(c.id);
    if (dead.length > 0) this.log.info({ remote: this.remote, count: dead.length }, 'removed share copies left by mounts that ended');
    return dead.length;
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
      // A read waiting for room may now evict this copy.
      if (n <= 0) this.wake();
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
    const mine = this.folder;
    this.folder = undefined;
    if (mine) await mine.then((id) => this.own.remove(id)).catch((e: unknown) => this.deleteFailed('(this mount\'s folder)', e));
    openHere.delete(this.mountId);
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

  /**
   * Waits until fewer than maxCopies exist, evicting the least recently used copy nothing holds;
   * woken by every release and drop. After slotWaitMs it gives up: EBUSY, logged once.
   */
  private async slot(forId: string): Promise<void> {
    const until = Date.now() + this.slotWaitMs;
    while (this.copies.size >= this.maxCopies && !this.copies.has(forId)) {
      const victim = [...this.copies.entries()].filter(([id]) => !this.holds.has(id)).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (victim) {
        await this.drop(victim[0]);
        continue;
      }
      const left = until - Date.now();
      if (left <= 0) {
        if (!this.warnedBusy) {
          this.warnedBusy = true;
          this.log.warn({ remote: this.remote, maxCopies: this.maxCopies }, `every share copy stayed in use for ${Math.round(this.slotWaitMs / 1000)} s; reads that need another copy fail with EBUSY`);
        }
        throw new DriveError('EBUSY', `all ${this.maxCopies} share copies are in use by other reads`, { level: 'debug' });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(go, left);
        function go(): void {
          clearTimeout(t);
          resolve();
        }
        this.waiters.push(go);
      });
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
      // A copy that was never made needs no deleting; one that stays is removed by a later mount.
      if (!(e instanceof DriveError && e.code === 'ENOENT')) this.deleteFailed(id, e);
    } finally {
      this.wake();
    }
  }

  /** One warning per mount; later failures at debug. */
  private deleteFailed(id: string, e: unknown): void {
    const line = { remote: this.remote, id, err: (e as Error)?.message ?? String(e) };
    if (this.warnedDelete) {
      this.log.debug(line, 'share copy not removed');
      return;
    }
    this.warnedDelete = true;
    this.log.warn(line, 'a share copy in your drive could not be removed; a later mount removes it (further failures are logged at debug)');
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The share's folder of copy folders. */
  private shareFolderId(): Promise<string> {
    this.shareFolder ??= this.own.copiesFolder().catch((e: unknown) => {
      this.shareFolder = undefined;
      throw e;
    });
    return this.shareFolder;
  }

  /** This mount's own folder (made at first use), so no other mount touches its copies. */
  private folderId(): Promise<string> {
    this.folder ??= this.shareFolderId()
      .then((share) => this.own.mkdir(share, this.mountId))
      .catch((e: unknown) => {
        this.folder = undefined;
        throw e;
      });
    return this.folder;
  }
}
