// The binding's ceiling for bench-read: a mount with the same FUSE options as `drivemount mount
// --read-only`, holding one file whose bytes come from memory (no HTTP, no VFS). Every read is one
// copy from a 1 MiB pattern into libfuse's buffer, answered at once.
//   node dist/scripts/bench-null-mount.js MOUNTPOINT SIZE_MIB   (prints "mounted" on stderr; SIGTERM unmounts)
import { mountFuse } from '../src/fuse/mount.js';
import { silentLogger } from '../src/util/log.js';

const [mnt, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg) * (1 << 20);
const pattern = Buffer.alloc(1 << 20, 0x5a);
const now = new Date();
const stat = (dir: boolean) => ({
  mode: dir ? 0o040555 : 0o100444, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, size: dir ? 0 : size,
  dev: 0, nlink: 1, ino: 0, rdev: 0, blksize: 4096, blocks: Math.ceil(size / 512), atime: now, mtime: now, ctime: now,
});
type Cb = (err: number, ...v: unknown[]) => void;
const ENOENT = -2;
const ops = {
  init: (cb: Cb) => cb(0),
  getattr: (p: string, cb: Cb) => (p === '/' ? cb(0, stat(true)) : p === '/big.bin' ? cb(0, stat(false)) : cb(ENOENT)),
  fgetattr: (p: string, _fd: number, cb: Cb) => cb(0, stat(p === '/')),
  readdir: (p: string, cb: Cb) => (p === '/' ? cb(0, ['.', '..', 'big.bin']) : cb(ENOENT)),
  open: (_p: string, _f: number, cb: Cb) => cb(0, 1),
  release: (_p: string, _fd: number, cb: Cb) => cb(0),
  read(_p: string, _fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) {
    const n = Math.max(0, Math.min(len, size - pos));
    let done = 0;
    while (done < n) {
      const at = (pos + done) % pattern.length;
      done += pattern.copy(buf, done, at, Math.min(pattern.length, at + n - done));
    }
    cb(n);
  },
};

const m = await mountFuse(ops, {
  mountpoint: mnt!, fsName: 'drivemount:null', readOnly: true, readAheadKb: 16384, attrTimeoutSec: 1,
  allowOther: false, debug: false, bigWrites: true,
}, silentLogger);
console.error('"msg":"mounted"');
const stop = () => void m.unmount().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
void m.gone.then(() => process.exit(0));
