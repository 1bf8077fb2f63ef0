import type { RemoteEntry } from '../drives/types.js';
import { splitPath } from '../util/posix-path.js';
import type { StagedFile } from './write/staged-file.js';

/**
 * libfuse 2 (without `hard_remove`) answers unlink of a file that is still open by renaming it
 * to `.fuse_hidden<16 hex digits>` in the same folder, and unlinks that name at the last close.
 * (`hard_remove` would unlink at once, but then the binding receives a NULL path for every later
 * operation on the open file and crashes.) The vfs takes that rename for what it means: the
 * file is removed now, its open handles keep working, and the hidden name lives only here.
 */
const HIDDEN = /^\.fuse_hidden[0-9a-f]{16}$/;

/** `to` is the name libfuse hides the open file `from` under (same folder, libfuse's pattern). */
export function isHideRename(from: string, to: string): boolean {
  const a = splitPath(from);
  const b = splitPath(to);
  return a.parent === b.parent && HIDDEN.test(b.name);
}

/** A removed file that a program still has open, known only by its hidden name. */
export interface UnlinkedOpen {
  /** Its staged copy, if it was being written: reads and writes go there, nothing is uploaded. */
  file?: StagedFile;
  /** What the service held when it was removed (reads of a file only being read use it). */
  entry?: RemoteEntry;
}

/** The hidden names of removed, still-open files, until libfuse unlinks them at the last close. */
export class UnlinkedOpenFiles {
  private readonly byHiddenPath = new Map<string, UnlinkedOpen>();

  add(hiddenPath: string, f: UnlinkedOpen): void {
    this.byHiddenPath.set(hiddenPath, f);
  }

  get(path: string): UnlinkedOpen | undefined {
    return this.byHiddenPath.get(path);
  }

  /** What stat shows for the hidden name: the staged copy's size and time, or the removed entry. */
  entry(path: string): RemoteEntry | undefined {
    const u = this.byHiddenPath.get(path);
    return u?.file?.entry() ?? u?.entry;
  }

  /**
   * A removed, still-open file is inside folder `dir`. libfuse builds the path of every later
   * operation on it from its folder; once the folder is removed it has none, and an unpatched
   * binding crashes on the missing path (vfs.ts, `pathlessHandles`).
   */
  hasBelow(dir: string): boolean {
    const prefix = dir === '/' ? '/' : dir + '/';
    for (const p of this.byHiddenPath.keys()) if (p.startsWith(prefix)) return true;
    return false;
  }

  /** Folder `dir` is gone: libfuse has no path for what was hidden in it (its handles keep working). */
  forgetBelow(dir: string): void {
    const prefix = dir === '/' ? '/' : dir + '/';
    for (const p of [...this.byHiddenPath.keys()]) if (p.startsWith(prefix)) this.byHiddenPath.delete(p);
  }

  /** A folder was renamed: libfuse now names what was hidden in it by the new path. */
  renameBelow(from: string, to: string): void {
    const prefix = from + '/';
    for (const [p, u] of [...this.byHiddenPath]) {
      if (!p.startsWith(prefix)) continue;
      this.byHiddenPath.delete(p);
      this.byHiddenPath.set(to + p.slice(from.length), u);
    }
  }

  /** libfuse's unlink of the hidden name at the last close; true if it was one. */
  forget(path: string): boolean {
    return this.byHiddenPath.delete(path);
  }
}
