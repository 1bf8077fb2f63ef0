import { constants } from 'node:fs';
import type { Vfs } from '../vfs/vfs.js';
import { DriveError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { toStat, toStatfs, type StatOptions } from './attrs.js';
import { errnoFor, errnoOf } from './errno.js';

type Cb = (err: number, ...rest: unknown[]) => void;

export interface OperationsContext {
  vfs: Vfs;
  log: Logger;
  stat: StatOptions;
  /** A fatal error (credentials refused): the mount must stop. */
  onFatal: (e: DriveError) => void;
}

/** Linux's O_ACCMODE (Node does not export it). */
const O_ACCMODE = 3;

/** Errors that are part of normal life (lookups of absent names) and deserve no log line. */
const QUIET = new Set(['ENOENT', 'EROFS', 'ENOTDIR', 'EISDIR']);

/**
 * FUSE operations → vfs calls. Each handler is asynchronous (the binding's threads wait on
 * Node's one thread), answers exactly once, and turns DriveError codes into errnos with one
 * log line per failure.
 */
export function buildOperations(ctx: OperationsContext) {
  const { vfs, log } = ctx;

  function run(op: string, path: string, cb: Cb, fn: () => Promise<unknown[]>): void {
    fn().then(
      (vals) => cb(0, ...vals),
      (e: unknown) => {
        const code = e instanceof DriveError ? e.code : 'EIO';
        if (e instanceof DriveError && e.fatal) ctx.onFatal(e);
        if (!QUIET.has(code)) log.warn({ op, path, errno: code }, (e as Error).message);
        cb(errnoFor(e));
      },
    );
  }

  return {
    init(cb: Cb) {
      cb(0);
    },
    getattr(path: string, cb: Cb) {
      run('getattr', path, cb, async () => [toStat(await vfs.getattr(path), ctx.stat)]);
    },
    fgetattr(path: string, _fd: number, cb: Cb) {
      run('fgetattr', path, cb, async () => [toStat(await vfs.getattr(path), ctx.stat)]);
    },
    readdir(path: string, cb: Cb) {
      run('readdir', path, cb, async () => {
        const list = await vfs.readdir(path);
        return [['.', '..', ...list.map((e) => e.name)]];
      });
    },
    open(path: string, flags: number, cb: Cb) {
      const acc = flags & O_ACCMODE;
      const write = acc === constants.O_WRONLY || acc === constants.O_RDWR || (flags & constants.O_APPEND) !== 0;
      const truncate = (flags & constants.O_TRUNC) !== 0;
      run('open', path, cb, async () => [await vfs.open(path, { write, truncate })]);
    },
    read(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) {
      vfs.read(fd, buf, len, pos).then(
        (n) => cb(n),
        (e: unknown) => {
          if (e instanceof DriveError && e.fatal) ctx.onFatal(e);
          log.warn({ op: 'read', path, pos, len, errno: e instanceof DriveError ? e.code : 'EIO' }, (e as Error).message);
          cb(errnoFor(e));
        },
      );
    },
    release(_path: string, fd: number, cb: Cb) {
      vfs.release(fd);
      cb(0);
    },
    statfs(path: string, cb: Cb) {
      run('statfs', path, cb, async () => [toStatfs(await vfs.quota())]);
    },
    access(path: string, mode: number, cb: Cb) {
      run('access', path, cb, async () => {
        await vfs.access(path, (mode & constants.W_OK) !== 0);
        return [];
      });
    },
    // Everything that would change the drive answers EROFS: the mount is read-only (the kernel
    // also enforces "ro"). Write support replaces these.
    ...refuseWrites(errnoOf('EROFS')),
  };
}

function refuseWrites(errno: number) {
  // The callback is always the last argument, whatever the operation.
  const refuse = (...args: unknown[]) => (args[args.length - 1] as (e: number) => void)(errno);
  return {
    create: refuse, write: refuse,
    truncate: refuse, ftruncate: refuse, unlink: refuse, rename: refuse, mkdir: refuse, rmdir: refuse,
    utimens: refuse, chmod: refuse, chown: refuse, symlink: refuse, link: refuse, mknod: refuse,
  };
}
