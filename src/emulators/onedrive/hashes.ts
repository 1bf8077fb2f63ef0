// QuickXorHash values for files, computed lazily and cached by
// (device, inode, size, mtime, ctime) so repeated listings never rehash.
// Hashing is asynchronous and chunked, so a big file being hashed does not
// stall other requests. Small and big files run in separate bounded lanes, so
// a listing of small files never waits behind a few huge ones; concurrent
// askers for the same file share one job.

import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

import { Semaphore } from '../common/semaphore.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';
import { QUIET_MS } from './store.js';

const CHUNK = 1 << 20;
/** Files up to this size go to the "small" lane. */
const SMALL_FILE = 4 << 20;

export class HashCache {
  private readonly done = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly small = new Semaphore(16);
  private readonly big = new Semaphore(4);

  static key(st: Stats): string {
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  }

  /** Records a hash computed elsewhere (e.g. while receiving an upload). */
  prime(st: Stats, hash: string): void {
    this.done.set(HashCache.key(st), hash);
  }

  async quickXorHash(abs: string, st: Stats): Promise<string> {
    const key = HashCache.key(st);
    const hit = this.done.get(key);
    if (hit !== undefined) return hit;
    let job = this.pending.get(key);
    if (!job) {
      const lane = st.size <= SMALL_FILE ? this.small : this.big;
      job = lane
        .run(() => hashFile(abs, st.size))
        .then(async (h) => {
          // Cache only if the file did not change while we read it, and its
          // mtime is old enough that a rewrite would surely change it (file
          // timestamps come from a coarse clock).
          const after = await stat(abs).catch(() => null);
          if (after && HashCache.key(after) === key && Date.now() - after.mtimeMs > QUIET_MS) this.done.set(key, h);
          return h;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, job);
    }
    return job;
  }
}

/** QuickXorHash of a file; `sizeHint` sizes the read buffer for small files. */
export async function hashFile(abs: string, sizeHint = CHUNK): Promise<string> {
  const h = new QuickXorHash();
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, sizeHint + 1)));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digestBase64();
}
