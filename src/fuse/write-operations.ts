import { errnoOf } from './errno.js';
import { runIo, runOp, type Cb } from './handler.js';
import type { OperationsContext } from './context.js';

/** How the patched binding hands over UTIME_OMIT ("leave it") and UTIME_NOW (see scripts/patch-binding.mjs). */
const UTIME_OMIT_MS = 1;
const UTIME_NOW_MS = 2;
/** Unpatched, both arrive as ~1,073 ms (tv_sec 0, special tv_nsec): "now" is the useful reading. */
const UNPATCHED_SPECIAL_MS = 1073;

/** The modification time a utimens asks for: a time, "now", or undefined for "leave it". */
export function requestedMtime(atime: number, mtime: number, patched: boolean): number | undefined {
  if (!patched) return atime <= UNPATCHED_SPECIAL_MS ? Date.now() : atime; // mtime never arrives
  if (mtime === UTIME_OMIT_MS) return undefined;
  if (mtime === UTIME_NOW_MS) return Date.now();
  return mtime;
}

/** The operations that change the drive, on a writable mount. */
export function writeOperations(ctx: OperationsContext) {
  const { vfs } = ctx;
  const done = async () => [];
  return {
    create(path: string, _mode: number, cb: Cb) {
      runOp(ctx, 'create', path, cb, async () => [await vfs.create(path)]);
    },
    write(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) {
      // buf is libfuse's memory; it stays valid until we answer, and the write completes before that.
      runIo(ctx, 'write', path, cb, () => vfs.write(fd, buf, len, pos));
    },
    flush(path: string, fd: number, cb: Cb) {
      runOp(ctx, 'flush', path, cb, () => vfs.flush(fd).then(done));
    },
    fsync(path: string, _datasync: boolean, fd: number, cb: Cb) {
      runOp(ctx, 'fsync', path, cb, () => vfs.fsync(fd).then(done));
    },
    fsyncdir(_path: string, _datasync: boolean, _fd: number, cb: Cb) {
      cb(0);
    },
    truncate(path: string, size: number, cb: Cb) {
      runOp(ctx, 'truncate', path, cb, () => vfs.truncate(path, size).then(done));
    },
    ftruncate(path: string, fd: number, size: number, cb: Cb) {
      runOp(ctx, 'ftruncate', path, cb, () => vfs.ftruncate(fd, size).then(done));
    },
    mkdir(path: string, _mode: number, cb: Cb) {
      runOp(ctx, 'mkdir', path, cb, () => vfs.mkdir(path).then(done));
    },
    rmdir(path: string, cb: Cb) {
      runOp(ctx, 'rmdir', path, cb, () => vfs.rmdir(path).then(done));
    },
    unlink(path: string, cb: Cb) {
      runOp(ctx, 'unlink', path, cb, () => vfs.unlink(path).then(done));
    },
    rename(from: string, to: string, cb: Cb) {
      runOp(ctx, 'rename', from, cb, () => vfs.rename(from, to).then(done));
    },
    utimens(path: string, atime: number, mtime: number, cb: Cb) {
      // Access times are not kept by the service: only the modification time matters.
      const t = requestedMtime(atime, mtime, ctx.utimensHasMtime);
      runOp(ctx, 'utimens', path, cb, async () => (t === undefined ? vfs.getattr(path).then(done) : vfs.utimens(path, t).then(done)));
    },
    // Cloud drives keep no modes or owners: accepted and ignored, as docs/semantics.md says.
    chmod(path: string, _mode: number, cb: Cb) {
      runOp(ctx, 'chmod', path, cb, () => vfs.getattr(path).then(done));
    },
    chown(path: string, _uid: number, _gid: number, cb: Cb) {
      runOp(ctx, 'chown', path, cb, () => vfs.getattr(path).then(done));
    },
    symlink(_target: string, _path: string, cb: Cb) {
      cb(errnoOf('EPERM'));
    },
    link(_from: string, _to: string, cb: Cb) {
      cb(errnoOf('EPERM'));
    },
    mknod(_path: string, _mode: number, _dev: number, cb: Cb) {
      cb(errnoOf('EPERM'));
    },
  };
}
