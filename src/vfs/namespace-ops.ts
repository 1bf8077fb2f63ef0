import type { Drive, RemoteEntry } from '../drives/types.js';
import { DriveError } from '../util/errors.js';
import type { MetadataCache } from './metadata-cache.js';
import { splitPath } from './metadata-cache.js';
import type { StagedFiles } from './write/staged-files.js';
import type { StagedFile } from './write/staged-file.js';

/** Folder and name operations: mkdir, rmdir, unlink, rename, utimens. */
export class NamespaceOps {
  constructor(private readonly drive: Drive, private readonly metadata: MetadataCache, private readonly staged: StagedFiles) {}

  async mkdir(path: string): Promise<void> {
    const w = this.staged.writer();
    w.checkName(path);
    await this.assertAbsent(path);
    this.metadata.put(path, await w.mkdir(path));
    this.metadata.childChanged(path);
  }

  async rmdir(path: string): Promise<void> {
    const e = await this.metadata.lookup(path);
    if (!e.isDir) throw new DriveError('ENOTDIR', `${path} is not a folder`);
    if (path === '/') throw new DriveError('EBUSY', 'the mount root cannot be removed');
    // Graph deletes folders with everything in them: ask the service, not the cache.
    if (this.staged.hasBelow(path) || (await this.metadata.listFresh(path)).size > 0) throw new DriveError('ENOTEMPTY', `${path} is not empty`);
    await this.staged.writer().remove(path, e);
    this.metadata.remove(path);
    this.metadata.childChanged(path);
  }

  async unlink(path: string): Promise<void> {
    const e = await this.metadata.lookup(path);
    if (e.isDir) throw new DriveError('EISDIR', `${path} is a folder`);
    const open = this.staged.get(path);
    // An upload under way must land (or fail) first: deciding before it would let it recreate the file.
    await open?.settled();
    // That upload went up as a conflict copy under another name: the path now shows the other
    // writer's file, and it is that file the program removes.
    if (open && this.staged.get(path) !== open) {
      await this.staged.journalIdle(open); // its record has caught up (removed once committed) before we go on
      return this.unlink(path);
    }
    if (open && !open.remote) {
      this.staged.detach(path); // never uploaded: nothing to delete remotely
    } else {
      await this.staged.writer().remove(path, open?.remote ?? e);
      this.staged.detach(path);
    }
    // The record is gone before unlink returns: a crash now must not bring the file back.
    if (open) await this.staged.journalIdle(open);
    this.metadata.remove(path);
    this.metadata.childChanged(path);
  }

  async rename(from: string, to: string): Promise<void> {
    const w = this.staged.writer();
    w.checkName(to);
    if (to === from) return;
    if (to.startsWith(from + '/')) throw new DriveError('EINVAL', `cannot move ${from} into itself`);
    const open = this.staged.get(from);
    if (open?.state === 'committing') await open.settled();
    // Its upload went up as a conflict copy under another name: `from` is the other writer's file now.
    if (open && this.staged.get(from) !== open) {
      await this.staged.journalIdle(open);
      return this.rename(from, to);
    }
    if (open && (await this.renameQueued(open, from, to))) return;
    if (open?.hasUnsentChanges) await this.staged.commit(open); // the file must exist remotely to be moved
    if (open && this.staged.get(from) !== open) {
      await this.staged.journalIdle(open);
      return this.rename(from, to);
    }
    // An upload under way at the target must finish before the target is judged and replaced.
    await this.staged.get(to)?.settled();
    const src = open?.remote ?? (await this.metadata.lookup(from));
    const dst = await this.metadata.lookup(to).catch((e: unknown) => {
      if (e instanceof DriveError && e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (dst) {
      if (src.isDir && !dst.isDir) throw new DriveError('ENOTDIR', `${to} is not a folder`);
      if (!src.isDir && dst.isDir) throw new DriveError('EISDIR', `${to} is a folder`);
      if (dst.isDir && (this.staged.hasBelow(to) || (await this.metadata.listFresh(to)).size > 0)) throw new DriveError('ENOTEMPTY', `${to} is not empty`);
    } else {
      await this.assertNoCaseTwin(to, from);
    }
    const moved = await w.move(from, src, to, { replaces: dst });
    this.metadata.remove(from);
    if (dst?.isDir) this.metadata.forgetBelow(to);
    this.metadata.put(to, moved);
    this.metadata.childChanged(from);
    this.metadata.childChanged(to);
    this.staged.rename(from, to);
    if (open) await this.staged.journalIdle(open); // its record names the new path before rename returns
  }

  /**
   * Write-back: a file queued and never uploaded moves with its staged copy and record only, and
   * goes up at its new name (rsync's write-then-rename needs no upload inside rename(2)). Only
   * onto a free name: replacing a file the service holds stays a move of committed items.
   */
  private async renameQueued(open: StagedFile, from: string, to: string): Promise<boolean> {
    if (open.remote || !open.hasUnsentChanges || open.detached || !this.staged.writeBack?.has(open)) return false;
    if (this.staged.get(to)) return false;
    const dst = await this.metadata.lookup(to).catch((e: unknown) => {
      if (e instanceof DriveError && e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (dst) return false;
    const parent = await this.metadata.lookup(splitPath(to).parent); // ENOENT when the folder is missing
    if (!parent.isDir) throw new DriveError('ENOTDIR', `${splitPath(to).parent} is not a folder`);
    await this.assertNoCaseTwin(to, from);
    this.metadata.remove(from);
    this.staged.rename(from, to);
    this.metadata.put(to, open.entry());
    this.metadata.childChanged(from);
    this.metadata.childChanged(to);
    await this.staged.journalIdle(open); // the record names the new path before rename returns
    return true;
  }

  async utimens(path: string, mtimeMs: number): Promise<void> {
    const open = this.staged.get(path);
    if (open && (open.hasUnsentChanges || !open.remote)) {
      open.setPendingTime(mtimeMs); // applied with the upload
      this.metadata.put(path, open.entry());
      return;
    }
    const e = open?.remote ?? (await this.metadata.lookup(path));
    const w = this.staged.writer();
    if (!w.setModified) return; // the service keeps no client times (docs/semantics.md)
    const updated = await w.setModified(path, e, mtimeMs);
    // The file may have been written, uploaded or unlinked while the time was set: then the
    // newer state wins and this answer is stale.
    if (open && (open.detached || open.remote !== e || open.state === 'committing')) return;
    open?.remoteChanged(updated);
    this.metadata.put(path, updated);
  }

  /** A new name must not exist, not even in another case (the service would take them for one). */
  async assertAbsent(path: string): Promise<void> {
    const exists = await this.metadata.lookup(path).then(
      () => true,
      (e: unknown) => {
        if (e instanceof DriveError && e.code === 'ENOENT') return false;
        throw e;
      },
    );
    if (exists) throw new DriveError('EEXIST', `${path} exists`);
    await this.assertNoCaseTwin(path);
  }

  private async assertNoCaseTwin(path: string, except?: string): Promise<void> {
    if (!this.drive.capabilities.caseInsensitive) return;
    const { parent, name } = splitPath(path);
    const lower = name.toLowerCase();
    // Names only: a big folder's entries are not built for this.
    const twin = (await this.metadata.listing(parent)).findName((n) => n !== name && n.toLowerCase() === lower);
    if (twin !== undefined && `${parent === '/' ? '' : parent}/${twin}` !== except) {
      throw new DriveError('EEXIST', `${path}: "${twin}" exists, and ${this.drive.name}'s names ignore case`);
    }
  }
}
