import { promises as fs, constants, readSync } from 'node:fs';
import { DriveError } from '../../util/errors.js';
import type { ContentSource } from '../prefetch/content-source.js';
import type { IndexRecord } from './cache-index.js';
import type { ReadCache } from './read-cache.js';
import { SpanSet } from './span-set.js';
import path from 'node:path';

/** Largest piece read from a data file at once when feeding the read-ahead. */
const DISK_PIECE = 1 << 20;
/**
 * A held read is done synchronously on the main thread while the data file answers from the
 * page cache (a memcpy): the round trip through libuv's thread pool and a promise cost more than
 * the copy and kept a warm re-read well below the FUSE ceiling. A read slower than this came from
 * the disk: the next reads go through the thread pool again, so a cold cache file never holds
 * up the event loop for more than one read per `SYNC_BACKOFF_READS`.
 */
const SYNC_READ_LIMIT_NS = 1_000_000n;
const SYNC_BACKOFF_READS = 256;

/** A download into the cache in progress: others wanting its bytes wait for it instead of fetching them again. */
class Fetch {
  reached: number;
  private wakers: (() => void)[] = [];
  constructor(readonly start: number, readonly end: number) {
    this.reached = start;
  }
  /** Resolves at the next stored piece or at the end (either way the caller looks again). */
  next(): Promise<void> {
    return new Promise((r) => this.wakers.push(r));
  }
  wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }
}

/**
 * One item's cached bytes: a sparse data file and the spans of it that hold the service's
 * bytes of one version. Readers of the same file share it, and a download one of them started
 * serves the others (one fetch for two readers).
 */
export class CachedItem {
  private readonly spans: SpanSet;
  private file?: Promise<fs.FileHandle>;
  private readonly fetches: Fetch[] = [];
  private writes = new Set<Promise<unknown>>();
  users = 0;
  /** Held reads still to go through the thread pool after one that came from the disk. */
  private asyncReadsLeft = 0;
  /** Dropped (changed, evicted, failed its hash): its bytes are never used again. */
  discarded = false;

  constructor(
    private readonly cache: ReadCache,
    readonly id: string,
    readonly version: string,
    readonly size: number,
    private readonly filePath: string,
    spans: [number, number][],
    public lastUsed: number,
  ) {
    this.spans = new SpanSet(spans);
  }

  get heldBytes(): number {
    return this.spans.total;
  }

  attach(): void {
    this.users++;
    this.lastUsed = Date.now();
  }

  release(): void {
    this.users--;
    this.lastUsed = Date.now();
    if (this.users === 0 && this.discarded) void this.closeFile();
  }

  record(): IndexRecord {
    return { id: this.id, version: this.version, size: this.size, spans: this.spans.list(), lastUsed: this.lastUsed, file: path.basename(this.filePath) };
  }

  /** Read [pos, pos+len) straight into `target` if every byte of it is held; undefined otherwise. */
  async readHeld(target: Buffer, pos: number, len: number): Promise<number | undefined> {
    const end = Math.min(this.size, pos + len);
    if (this.discarded || pos >= end || !this.spans.covers(pos, end)) return undefined;
    const fh = await this.open();
    let bytesRead: number;
    if (this.asyncReadsLeft > 0) {
      this.asyncReadsLeft--;
      ({ bytesRead } = await fh.read(target, 0, end - pos, pos));
    } else {
      const t0 = process.hrtime.bigint();
      bytesRead = readSync(fh.fd, target, 0, end - pos, pos);
      if (process.hrtime.bigint() - t0 > SYNC_READ_LIMIT_NS) this.asyncReadsLeft = SYNC_BACKOFF_READS;
    }
    if (bytesRead === end - pos) return bytesRead;
    this.cache.drop(this.id); // the data file lost bytes the index holds: never trust it again
    return undefined;
  }

  /** `inner` (the drive) with this item's held bytes served from disk and fetched bytes stored. */
  source(inner: ContentSource): ContentSource {
    return (start, end, signal) => this.read(start, Math.min(end, this.size), signal, inner);
  }

  private async *read(start: number, end: number, signal: AbortSignal, inner: ContentSource): AsyncGenerator<Buffer> {
    let pos = start;
    while (pos < end) {
      if (signal.aborted) throw new DriveError('EIO', 'read cancelled');
      if (this.discarded) {
        yield* inner(pos, end, signal);
        return;
      }
      const held = Math.min(end, this.spans.heldUntil(pos), pos + DISK_PIECE);
      if (held > pos) {
        const buf = Buffer.allocUnsafe(held - pos);
        const n = await this.readHeld(buf, pos, held - pos);
        if (n === undefined) continue; // dropped meanwhile: the loop goes to the service
        pos += n;
        yield buf;
        continue;
      }
      const other = this.fetches.find((f) => f.start <= pos && pos < f.end);
      if (other) {
        await other.next();
        continue;
      }
      const stop = Math.min(end, this.spans.nextAfter(pos), ...this.fetches.filter((f) => f.start > pos).map((f) => f.start));
      const mine = new Fetch(pos, stop);
      this.fetches.push(mine);
      try {
        for await (const piece of inner(pos, stop, signal)) {
          await this.store(piece, pos);
          pos += piece.length;
          mine.reached = pos;
          mine.wake();
          yield piece;
        }
      } finally {
        this.fetches.splice(this.fetches.indexOf(mine), 1);
        mine.wake();
      }
      if (pos < stop) {
        // The service's file is shorter than its listing said: it changed; keep nothing of it.
        this.cache.drop(this.id);
        return;
      }
    }
  }

  private async store(piece: Buffer, at: number): Promise<void> {
    // Full of files still being read: these bytes go to the reader only (the cache never outgrows its limit).
    if (this.discarded || !this.cache.reserve(piece.length)) return;
    let added = 0;
    const w = this.open().then((fh) => fh.write(piece, 0, piece.length, at));
    this.writes.add(w);
    try {
      await w;
      if (!this.discarded) added = this.spans.add(at, at + piece.length);
    } catch (e) {
      if (!this.discarded) this.cache.storeFailed(this, e as Error);
    } finally {
      this.writes.delete(w);
      this.cache.stored(added, piece.length);
    }
  }

  /** Pending writes done (for close: the index then names only written bytes). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.writes]);
  }

  /** Forget the bytes: the data file goes now; open readers' descriptors stay valid but are no longer used. */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    void fs.rm(this.filePath, { force: true }).catch(() => undefined);
    if (this.users === 0) void this.closeFile();
  }

  async closeFile(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    if (f) await f.then((fh) => fh.close()).catch(() => undefined);
  }

  private open(): Promise<fs.FileHandle> {
    // Not O_APPEND: positioned writes must land where they say.
    this.file ??= fs.open(this.filePath, constants.O_RDWR | constants.O_CREAT, 0o600);
    return this.file;
  }
}
