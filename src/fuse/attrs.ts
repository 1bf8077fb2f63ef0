import type { RemoteEntry } from '../drives/types.js';

export interface StatOptions {
  /** Owner and group shown for every entry (--uid/--gid; default the mounting user). */
  uid: number;
  gid: number;
  /** Bits cleared from the shown modes (--umask; default the process umask). */
  umask: number;
  readOnly: boolean;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/**
 * A remote entry as stat(2) shows it. Cloud drives have no modes or owners: everything belongs
 * to one owner, folders 0777 and files 0666 less the umask (0755/0644 with umask 022), without
 * write bits on a read-only mount. With --allow-other the kernel enforces these modes.
 * Folders report nlink 1, which tells `find` not to guess subfolder counts from it.
 */
export function toStat(e: RemoteEntry, o: StatOptions) {
  const perm = (e.isDir ? 0o777 : 0o666) & ~o.umask;
  const mode = (e.isDir ? S_IFDIR : S_IFREG) | (o.readOnly || e.readOnly ? perm & ~0o222 : perm);
  const mtime = new Date(e.mtimeMs);
  return {
    mode,
    uid: o.uid,
    gid: o.gid,
    size: e.isDir ? 0 : e.size,
    dev: 0,
    nlink: 1,
    ino: 0,
    rdev: 0,
    blksize: 4096,
    blocks: Math.ceil((e.isDir ? 0 : e.size) / 512),
    atime: mtime,
    mtime,
    ctime: mtime,
  };
}

/** statfs(2) from the drive's quota; 4 KiB blocks, counts capped to fit the binding's 32-bit fields. */
export function toStatfs(q: { total?: number; used?: number; free?: number }, bsize = 4096) {
  const cap = 0xffffffff;
  const total = q.total ?? (q.used ?? 0) + (q.free ?? 0);
  // Pick a fragment size large enough that the block counts fit in 32 bits.
  let frsize = bsize;
  while (total / frsize > cap) frsize *= 2;
  const blocks = Math.floor(total / frsize);
  const free = Math.floor((q.free ?? Math.max(0, total - (q.used ?? 0))) / frsize);
  return {
    bsize: frsize,
    frsize,
    blocks,
    bfree: Math.min(free, blocks),
    bavail: Math.min(free, blocks),
    files: 1_000_000,
    ffree: 1_000_000,
    favail: 1_000_000,
    fsid: 0x6472766d, // "drvm"
    flag: 0,
    namemax: 255,
  };
}
