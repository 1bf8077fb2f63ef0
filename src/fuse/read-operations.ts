import { constants } from 'node:fs';
import { toStat, toStatfs } from './attrs.js';
import type { OperationsContext } from './context.js';
import { runIo, runOp, type Cb } from './handler.js';

/** Linux's O_ACCMODE (Node does not export it). */
const O_ACCMODE = 3;

/** What readdir tells of each name: only its type (d_type). */
const DIR_TYPE = { mode: 0o040000 };
const FILE_TYPE = { mode: 0o100000 };
/** Listings longer than this go without types (see readdir). */
const MAX_TYPED_NAMES = 10_000;

/** The operations every mount answers, read-only or not: lookups, listing, opening, reading. */
export function readOperations(ctx: OperationsContext) {
  const { vfs } = ctx;
  const stat = () => ({ ...ctx.stat, readOnly: !vfs.writable });
  return {
    init(cb: Cb) {
      cb(0);
    },
    getattr(path: string, cb: Cb) {
      runOp(ctx, 'getattr', path, cb, async () => [toStat(await vfs.getattr(path), stat())]);
    },
    fgetattr(path: string, fd: number, cb: Cb) {
      runOp(ctx, 'fgetattr', path, cb, async () => [toStat(await vfs.fgetattr(fd, path), stat())]);
    },
    readdir(path: string, cb: Cb) {
      runOp(ctx, 'readdir', path, cb, async () => {
        // Names and folder bits straight from the cached listing's columns: no entry objects.
        const children = await vfs.readdir(path);
        const n = children.size;
        const names = new Array<string>(n + 2);
        names[0] = '.';
        names[1] = '..';
        for (let s = 0; s < n; s++) names[s + 2] = children.nameAt(s);
        // Each name's type rides along (d_type): a walker such as `find` then needs no stat to
        // tell files from folders. libfuse 2 uses nothing else of these stats. The binding turns
        // each into a typed array of its own (~300 bytes): a huge folder goes without.
        if (n > MAX_TYPED_NAMES) return [names];
        const types = new Array<typeof DIR_TYPE>(n + 2);
        types[0] = DIR_TYPE;
        types[1] = DIR_TYPE;
        for (let s = 0; s < n; s++) types[s + 2] = children.isDirAt(s) ? DIR_TYPE : FILE_TYPE;
        return [names, types];
      });
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
  };
}
