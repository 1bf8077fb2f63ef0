import { promises as fs } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { ConfigError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { loadFuse } from './binding.js';
import { findMount } from './mountinfo.js';
import { ThreadPinning, threadIds } from './thread-affinity.js';

const run = promisify(execFile);

export interface MountOptions {
  mountpoint: string;
  /** Shown as the mount's source in /proc/mounts, e.g. "drivemount:od". */
  fsName: string;
  readOnly: boolean;
  /** mount(8)'s noexec: nothing on the mount can be executed. */
  noexec?: boolean;
  /** Kernel read-ahead for the mount's bdi (KiB); more requests in flight on slow remotes. */
  readAheadKb: number;
  /** Kernel attribute/entry cache timeouts (s). */
  attrTimeoutSec: number;
  allowOther: boolean;
  debug: boolean;
  /** 128 KiB write requests instead of 4 KiB; off only to measure its effect. */
  bigWrites: boolean;
  /** Keep the main thread and libfuse's threads on one CPU (see thread-affinity.ts). */
  pinThreads?: boolean;
}

export interface MountedFs {
  readonly mountpoint: string;
  /** Unmount (lazily if busy) and release the binding. */
  unmount(): Promise<void>;
  /** Resolves when the mount disappears by other means (`fusermount -u`, `umount`). */
  readonly gone: Promise<void>;
}

/**
 * Extra mount options ride inside `fsname`: the binding joins options with commas into one
 * `-o` and has no field for these (see native-notes/mount-options.md).
 * - big_writes: 128 KiB writes instead of 4 KiB.
 * - max_background/congestion_threshold: 8/6, not more. Our own read-ahead keeps the ranges in
 *   flight; a larger kernel background count only makes libfuse start and end a worker thread
 *   per few requests, and the binding keeps a libuv handle of every thread that ever ran
 *   (native-notes/mount-options.md): 64 cost ~1 CPU-s/GiB more and ~15% of the read rate.
 * - atomic_o_trunc: see below.
 * - attr_timeout/entry_timeout: the binding's own fields drop a 0 (it adds them only when truthy),
 *   which left the kernel caching for libfuse's default 1 s; here 0 reaches libfuse too.
 */
export function fuseOptionString(o: MountOptions): string {
  // atomic_o_trunc: O_TRUNC arrives with open() instead of as a separate truncate to 0 first,
  // which would upload an empty file before the new content.
  const extra = ['max_background=8', 'congestion_threshold=6', 'max_read=131072', 'atomic_o_trunc'];
  extra.push(`attr_timeout=${o.attrTimeoutSec}`, `entry_timeout=${o.attrTimeoutSec}`);
  if (o.bigWrites) extra.unshift('big_writes');
  if (o.readOnly) extra.push('ro');
  if (o.noexec) extra.push('noexec');
  // A backslash would escape the comma after the name and swallow the next option.
  return [o.fsName.replace(/[,\s\\]/g, '_'), ...extra].join(',');
}

/** What the binding's constructor gets; it turns these into the one `-o` string for libfuse. */
export function bindingOptions(o: MountOptions): Record<string, unknown> {
  return {
    // Slow downloads, throttled calls and uploads must not be cut at the binding's default 15 s:
    // every handler answers by itself (HTTP timeouts bound the waits).
    timeout: false,
    fsname: fuseOptionString(o),
    subtype: 'drivemount',
    allowOther: o.allowOther,
    // Other users must meet the modes and owner stat shows (0644: read, not write or delete);
    // without it the kernel lets anyone do anything, leaving checks to a daemon that has none.
    defaultPermissions: o.allowOther,
    debug: o.debug,
  };
}

/** Refuse busy or unusable mountpoints with a clear message; repair a stale (dead) FUSE mount. */
export async function prepareMountpoint(mountpoint: string, log: Logger): Promise<void> {
  const existing = await findMount(mountpoint);
  if (existing) {
    if (existing.fstype.startsWith('fuse') && (await isDeadFuse(mountpoint))) {
      log.warn({ mountpoint }, 'mountpoint holds a dead FUSE mount ("Transport endpoint is not connected"); unmounting it');
      await lazyUnmount(mountpoint);
    } else {
      throw new ConfigError(
        `mountpoint ${mountpoint} is busy: ${existing.source} (${existing.fstype}) is mounted there — unmount it first (drivemount unmount ${mountpoint})`,
      );
    }
  }
  let st;
  try {
    st = await fs.stat(mountpoint);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`mountpoint ${mountpoint} does not exist — create it first (mkdir -p ${mountpoint})`);
    throw new ConfigError(`mountpoint ${mountpoint} is unusable: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new ConfigError(`mountpoint ${mountpoint} is not a directory`);
  const entries = await fs.readdir(mountpoint);
  if (entries.length > 0) throw new ConfigError(`mountpoint ${mountpoint} is not empty — mounting over files would hide them`);
}

/**
 * A FUSE mount whose process died answers ENOTCONN. `stat` cannot tell (the kernel may answer it
 * from its attribute cache); listing the folder always reaches the daemon. A live daemon that
 * is slow to answer counts as alive.
 */
async function isDeadFuse(mountpoint: string): Promise<boolean> {
  const probe = fs.readdir(mountpoint).then(
    () => false,
    (e: NodeJS.ErrnoException) => e.code === 'ENOTCONN' || e.code === 'ECONNABORTED',
  );
  const slow = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000).unref());
  return Promise.race([probe, slow]);
}

export async function lazyUnmount(mountpoint: string): Promise<void> {
  await run('fusermount', ['-uz', mountpoint]);
}

export async function mountFuse(ops: object, o: MountOptions, log: Logger): Promise<MountedFs> {
  const mountpoint = path.resolve(o.mountpoint);
  await prepareMountpoint(mountpoint, log);
  const Fuse = loadFuse();
  // Threads that exist before the mount are node's own; those started after are libfuse's (the
  // mount starts no Worker of its own after this point: it would be counted as libfuse's).
  const before = threadIds();
  const pinning = o.pinThreads ? new ThreadPinning(before, log) : undefined;
  const fuse = new Fuse(mountpoint, pinning ? pinning.wrap(ops) : ops, bindingOptions(o));
  await new Promise<void>((resolve, reject) =>
    fuse.mount((err: Error | null) => (err ? reject(new ConfigError(`cannot mount at ${mountpoint}: ${err.message}`)) : resolve())),
  );
  const rec = await findMount(mountpoint);
  if (rec) await tuneReadAhead(rec.dev, o.readAheadKb, log);
  await pinning?.start();

  let unmounting = false;
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((resolve) => {
    // The binding does not notice an unmount done from outside: poll the mount table.
    timer = setInterval(() => {
      findMount(mountpoint).then((m) => {
        if (!m && !unmounting) {
          clearInterval(timer);
          resolve();
        }
      }, () => undefined);
    }, 500);
  });

  return {
    mountpoint,
    gone,
    async unmount() {
      if (unmounting) return;
      unmounting = true;
      await pinning?.stop();
      clearInterval(timer);
      if (!(await findMount(mountpoint))) return;
      await new Promise<void>((resolve) => {
        fuse.unmount((err: Error | null) => {
          if (err) log.warn({ mountpoint, err: err.message }, 'unmount reported an error');
          resolve();
        });
      });
    },
  };
}

async function tuneReadAhead(dev: string, kb: number, log: Logger): Promise<void> {
  const file = `/sys/class/bdi/${dev}/read_ahead_kb`;
  try {
    await fs.writeFile(file, String(kb));
    log.debug({ file, kb }, 'kernel read-ahead set');
  } catch (e) {
    // Only root may write it; without it sequential reads still work, with fewer requests in flight.
    log.debug({ file, err: (e as Error).message }, 'cannot set kernel read-ahead');
  }
}
