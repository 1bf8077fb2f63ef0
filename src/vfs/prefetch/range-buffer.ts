import { DriveError, toDriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { BufferPool } from './buffer-pool.js';
import type { ContentSource } from './content-source.js';

/**
 * Fresh range requests after a failed one that brought no new byte. Retries, link refresh and
 * resuming cut bodies are the driver's job, so a thrown error is already the driver giving up;
 * asking again from the byte reached covers a driver (or test drive) that simply stops mid-way,
 * and a range that still fails is dropped so the next read starts it over.
 */
const MAX_FRUITLESS_RESTARTS = 2;

export interface RangeDeps {
  content: ContentSource;
  log: Logger;
  /** The file's path, for log lines only. */
  path: string;
  pool?: BufferPool;
}

interface Waiter {
  need: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * One byte range of a remote file, downloaded into memory by a single ranged GET and readable
 * while it arrives. A connection cut mid-body resumes from the first missing byte; a refused
 * (expired) link is re-resolved. Bytes already received are never fetched twice.
 */
export class RangeBuffer {
  readonly buf: Buffer;
  /** Bytes of the range received so far, from `start`. */
  filled = 0;
  /** Distinct bytes handed to readers; a range fully served is done with (the page cache has it now). */
  private readonly servedSpans = new Coverage();
  /** Set when the remote file ended before `end` (it is shorter than we were told). */
  eofAt?: number;
  private error?: DriveError;
  private finished = false;
  private waiters: Waiter[] = [];
  private readonly abort = new AbortController();
  /** Readers between waitFor() and copyOut(): the buffer must stay theirs until they unpin. */
  private pins = 0;
  private released = false;
  /** The buffer went back to the pool or was abandoned to GC: never touch it again. */
  private disposed = false;

  constructor(readonly start: number, readonly end: number, private readonly deps: RangeDeps) {
    this.buf = deps.pool ? deps.pool.take(end - start) : Buffer.allocUnsafe(end - start);
    this.run().catch((e) => this.fail(toDriveError(e)));
  }

  pin(): void {
    this.pins++;
  }

  unpin(): void {
    this.pins--;
    this.settle();
  }

  get pinned(): boolean {
    return this.pins > 0;
  }

  /** The owner is done with this range: recycle its buffer once no reader and no download uses it. */
  release(): void {
    this.released = true;
    this.settle();
  }

  private settle(): void {
    if (!this.released || this.pins > 0 || this.disposed) return;
    this.disposed = true;
    if (!this.finished) {
      // Still downloading: stop it. The response may still be writing into the buffer, so
      // it is left to GC rather than recycled.
      this.abort.abort();
      this.fail(new DriveError('EIO', 'read-ahead cancelled'));
      return;
    }
    this.deps.pool?.give(this.buf);
  }

  get length(): number {
    return this.end - this.start;
  }

  get done(): boolean {
    return this.finished;
  }

  /** A failed range is dropped by its owner so that a later read tries again. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Resolve once bytes up to absolute offset `absEnd` are here (or the file ended, or it failed). */
  waitFor(absEnd: number): Promise<void> {
    const need = Math.min(absEnd, this.end) - this.start;
    if (this.error) return Promise.reject(this.error);
    if (this.filled >= need || this.finished) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ need, resolve, reject }));
  }

  /** Copy available bytes of [absFrom, absTo) into target; returns how many were copied. */
  copyOut(target: Buffer, targetOffset: number, absFrom: number, absTo: number): number {
    const from = absFrom - this.start;
    const to = Math.min(absTo - this.start, this.filled);
    if (to <= from) return 0;
    const n = this.buf.copy(target, targetOffset, from, to);
    this.servedSpans.add(from, to);
    return n;
  }

  get fullyServed(): boolean {
    return this.servedSpans.total >= this.length;
  }

  private async run(): Promise<void> {
    const { content, log, path } = this.deps;
    let fruitless = 0;
    while (this.filled < this.length) {
      if (this.abort.signal.aborted) return;
      const before = this.filled;
      try {
        for await (const piece of content(this.start + this.filled, this.end, this.abort.signal)) {
          if (this.abort.signal.aborted) return;
          const n = piece.copy(this.buf, this.filled, 0, Math.min(piece.length, this.length - this.filled));
          this.filled += n;
          if (this.filled >= this.length) break;
          this.wake();
        }
        // A range that ends short: the file ends there (it is shorter than we were told).
        if (this.filled < this.length) this.eofAt = this.start + this.filled;
        break;
      } catch (e) {
        if (this.abort.signal.aborted) return;
        // Only a cut (EIO) is worth asking again; a refusal (ENOENT, EACCES, a fatal token error) stands.
        if (e instanceof DriveError && (e.fatal || e.code !== 'EIO')) throw e;
        fruitless = this.filled > before ? 0 : fruitless + 1;
        if (fruitless > MAX_FRUITLESS_RESTARTS) throw e;
        log.debug({ path, from: this.start + this.filled, err: (e as Error).message }, 'range read failed, asking again from the byte reached');
      }
    }
    // Finished before readers run, so a reader that drops the range can recycle its buffer.
    this.finish();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.filled >= w.need) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.resolve();
  }

  private fail(e: DriveError): void {
    if (this.finished) return;
    this.error = e;
    this.finished = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(e);
  }
}

/** Total length of a union of [a, b) spans; reads are mostly contiguous, so the list stays short. */
class Coverage {
  private spans: [number, number][] = [];
  total = 0;

  add(a: number, b: number): void {
    if (b <= a) return;
    const out: [number, number][] = [];
    for (const [x, y] of this.spans) {
      if (y < a || x > b) out.push([x, y]);
      else {
        a = Math.min(a, x);
        b = Math.max(b, y);
      }
    }
    out.push([a, b]);
    out.sort((p, q) => p[0] - q[0]);
    this.spans = out;
    this.total = out.reduce((n, [x, y]) => n + (y - x), 0);
  }
}
