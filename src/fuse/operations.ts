import { constants } from 'node:fs';
import type { Vfs } from '../vfs/vfs.js';
import { toStat, toStatfs, type StatOptions } from './attrs.js';
import { errnoOf } from './errno.js';
import { runIo, runOp, type Cb, type HandlerContext } from './handler.js';
import { writeOperations } from './write-operations.js';

export interface OperationsContext extends HandlerContext {
  vfs: Vfs;
  stat: StatOptions;
  /** Whether the binding passes utimens' real modification time (see native-notes). */
  utimensHasMtime: boolean;
}

/** Linux's O_ACCMODE (Node does not export it). */
const O_ACCMODE = 3;

/**
 * FUSE operations → vfs calls. Each handler is asynchronous (the binding's threads wait on
 * Node's one thread) and answers exactly once.
 */
export function buildOperations(ctx: OperationsContext) {
  const { vfs } = ctx;
  const stat = () => ({ ...ctx.stat, readOnly: !vfs.writable });
  return {
    init(cb: Cb) {
      cb(0);
    },
    getattr(path: string, cb: Cb) {
      runOp(ctx, 'getattr', path, cb, async () => [toStat(await vfs.getattr(path), stat())]);
    },
    fgetattr(path: string, _fd: number, cb: Cb) {
      runOp(ctx, 'fgetattr', path, cb, async () => [toStat(await vfs.getattr(path), stat())]);
    },
    readdir(path: string, cb: Cb) {
      runOp(ctx, 'readdir', path, cb, async () => [['.', '..', ...(await vfs.readdir(path)).map((e) => e.name)]]);
    },
    open(path: string, flags: number, cb: Cb) {
      const acc = flags & O_ACCMODE;
      const write = acc === constants.O_WRONLY || acc === constants.O_RDWR || (flags & constants.O_APPEND) !== 0;
      const truncate = (flags & constants.O_TRUNC) !== 0;
      runOp(ctx, 'open', path, cb, async () => [await vfs.open(path, { write, truncate })]);
    },
    read(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) {
      runIo(ctx, 'read', path, cb, () => vfs.read(fd, buf, len, pos));
    },
    release(path: string, fd: number, cb: Cb) {
      runOp(ctx, 'release', path, cb, async () => {
        await vfs.release(fd);
        return [];
      });
    },
    statfs(path: string, cb: Cb) {
      runOp(ctx, 'statfs', path, cb, async () => [toStatfs(await vfs.quota())]);
    },
    access(path: string, mode: number, cb: Cb) {
      runOp(ctx, 'access', path, cb, async () => {
        await vfs.access(path, (mode & constants.W_OK) !== 0);
        return [];
      });
    },
    ...(vfs.writable ? writeOperations(ctx) : refuseWrites(errnoOf('EROFS'))),
  };
}

/** On a read-only mount every change answers EROFS (the kernel also enforces "ro"). */
function refuseWrites(errno: number) {
  // The callback is always the last argument, whatever the operation.
  const refuse = (...args: unknown[]) => (args[args.length - 1] as (e: number) => void)(errno);
  return {
    create: refuse, write: refuse, truncate: refuse, ftruncate: refuse, unlink: refuse, rename: refuse,
    mkdir: refuse, rmdir: refuse, utimens: refuse, chmod: refuse, chown: refuse, symlink: refuse,
    link: refuse, mknod: refuse,
  };
}
