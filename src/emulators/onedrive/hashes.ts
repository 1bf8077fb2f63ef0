// QuickXorHash values for files, computed lazily and cached by
// (device, inode, size, mtime) so repeated listings never rehash. Hashing is
// asynchronous and chunked, so a big file being hashed does not stall other
// requests; a few hashes run at once and concurrent askers share one job.

import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

import { QuickXorHash } from '../../hash/quickxorhash.js';

const CHUNK = 1 << 20;
const MAX_PARALLEL = 4;

export class HashCache {
  private readonly done = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string>>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  static key(st: Stats): string {
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  }

  /** Records a hash computed elsewhere (e.g. while receiving an upload). */
  prime(st: Stats, hash: string): void {
    this.done.set(HashCache.key(st), hash);
  }

  peek(st: Stats): string | undefined {
    return this.done.get(HashCache.key(st));
  }

  async quickXorHash(abs: string, st: Stats): Promise<string> {
    const key = HashCache.key(st);
    const hit = this.done.get(key);
    if (hit !== undefined) return hit;
    let job = this.pending.get(key);
    if (!job) {
      job = this.limited(() => hashFile(abs))
        .then(async (h) => {
          // Cache only if the file did not change while we read it.
          const after = await stat(abs).catch(() => null);
          if (after && HashCache.key(after) === key) this.done.set(key, h);
          return h;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, job);
    }
    return job;
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    // A finishing job hands its slot straight to the next waiter.
    if (this.running >= MAX_PARALLEL) await new Promise<void>((r) => this.waiting.push(r));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

export async function hashFile(abs: string): Promise<string> {
  const h = new QuickXorHash();
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digestBase64();
}
