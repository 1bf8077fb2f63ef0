import { errnoOf } from './errno.js';
import { runIo, runOp, type Cb } from './handler.js';
import type { OperationsContext } from './operations.js';

/**
 * libfuse passes UTIME_NOW/UTIME_OMIT as tv_sec 0 with a special tv_nsec, which the binding turns
 * into ~1,073 ms after the epoch; both mean "no explicit time" to us, and `touch` means now.
 */
const UTIME_SPECIAL_MS = 1073;

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
      runOp(ctx, 'fsync', path, cb, () => vfs.flush(fd).then(done));
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
      // An unpatched binding passes atime twice; then atime is the best guess we have.
      const t = ctx.utimensHasMtime ? mtime : atime;
      runOp(ctx, 'utimens', path, cb, () => vfs.utimens(path, t <= UTIME_SPECIAL_MS ? Date.now() : t).then(done));
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
