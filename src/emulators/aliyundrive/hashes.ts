// SHA-1 values of files (content_hash, upper-case hex like the service) and
// "pre-hashes" (SHA-1 of the first 1 KiB, for rapid upload), computed lazily
// and cached by (device, inode, size, mtime, ctime) so repeated listings never
// rehash. Concurrent askers for the same file share one job; hashing runs in a
// bounded lane so a listing of many files does not open them all at once.

import { createHash, type Hash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

import { Semaphore } from '../common/semaphore.js';
import type { Item } from './store.js';

const CHUNK = 1 << 20;
export const PRE_HASH_BYTES = 1024;
/** Only trust a cache entry for a file whose mtime is this old (coarse kernel clocks). */
const QUIET_MS = 1000;

const keyOf = (st: Stats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

export class Sha1Cache {
  private readonly done = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly lane = new Semaphore(8);

  /** Records a hash computed elsewhere (while receiving an upload). */
  prime(st: Stats, hash: string): void {
    this.done.set(`full:${keyOf(st)}`, hash.toUpperCase());
  }

  /** content_hash of a file or live photo (a live photo hashes its JPEG then its movie). */
  async ofItem(it: Item): Promise<string> {
    if (it.kind === 'livp' && it.livp) {
      const { jpeg, mov } = it.livp;
      const [js, ms] = await Promise.all([stat(jpeg.abs), stat(mov.abs)]);
      return this.cached(`livp:${keyOf(js)}|${keyOf(ms)}`, [js, ms], [jpeg.abs, mov.abs], () =>
        hashFiles([jpeg.abs, mov.abs], Infinity),
      );
    }
    return this.full(it.abs, it.stat);
  }

  full(abs: string, st: Stats): Promise<string> {
    return this.cached(`full:${keyOf(st)}`, [st], [abs], () => hashFiles([abs], Infinity));
  }

  /** SHA-1 (upper hex) of the first 1024 bytes. */
  pre(abs: string, st: Stats): Promise<string> {
    return this.cached(`pre:${keyOf(st)}`, [st], [abs], () => hashFiles([abs], PRE_HASH_BYTES));
  }

  private async cached(key: string, stats: Stats[], paths: string[], compute: () => Promise<string>): Promise<string> {
    const hit = this.done.get(key);
    if (hit !== undefined) return hit;
    let job = this.pending.get(key);
    if (!job) {
      job = this.lane
        .run(compute)
        .then(async (h) => {
          // Cache only if nothing changed while we read and the files are old
          // enough that a rewrite would surely change their mtime.
          const after = await Promise.all(paths.map((p) => stat(p).catch(() => null)));
          const same = after.every((a, i) => a !== null && keyOf(a) === keyOf(stats[i]) && Date.now() - a.mtimeMs > QUIET_MS);
          if (same) this.done.set(key, h);
          return h;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, job);
    }
    return job;
  }
}

/** SHA-1 (upper hex) of the concatenation of files, reading at most `limit` bytes in all. */
export async function hashFiles(paths: string[], limit: number): Promise<string> {
  const h = createHash('sha1');
  let left = limit;
  for (const p of paths) {
    if (left <= 0) break;
    left -= await feed(h, p, left);
  }
  return h.digest('hex').toUpperCase();
}

async function feed(h: Hash, abs: string, limit: number): Promise<number> {
  const fh = await open(abs, 'r');
  let total = 0;
  try {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Number.isFinite(limit) ? limit : CHUNK));
    while (total < limit) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, limit - total), null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return total;
}

