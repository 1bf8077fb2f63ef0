import { DriveError } from '../../util/errors.js';
import type { MemoryBudget } from './memory-budget.js';
import { RangeBuffer, type RangeDeps } from './range-buffer.js';

export interface PrefetchOptions {
  /** First window after open or a seek: small, so a random read costs one small request. */
  initialWindow: number;
  /** Largest read-ahead window per open file. */
  maxWindow: number;
  /** Size of one ranged request once the window has grown; windows are split into such ranges fetched in parallel. */
  maxRequest: number;
  /**
   * Ranges in flight per open file. On a cloud-like link (20 ms, 25 MB/s per connection) 16 hid
   * the latency where 8 did not, and 24 reads ~25% faster than 16 once the unshaped path got
   * quicker (see native-notes/throughput.md); services that cap downloads per user
   * (Aliyundrive) queue the rest in the driver's download slots.
   */
  maxParallel: number;
  /** A forward jump up to this far is read through (kernel read-ahead arrives out of order); further is a seek. */
  forwardReadThrough: number;
  /**
   * How far behind the furthest read a read still belongs to the same stream. The kernel's own
   * read-ahead (16 MiB, handed over by several libfuse threads) delivers reads out of order by several MiB; such
   * reads fill a hole instead of restarting the stream. Partly read ranges further behind are dropped.
   */
  keepBehind: number;
}

export const DEFAULT_PREFETCH: PrefetchOptions = {
  initialWindow: 1 << 20,
  maxWindow: 64 << 20,
  maxRequest: 8 << 20,
  maxParallel: 24,
  forwardReadThrough: 24 << 20,
  keepBehind: 32 << 20,
};

/**
 * Read-ahead for one open file. Sequential reading grows a window (doubling each time half of
 * it has been consumed) that is fetched as several ranged requests in parallel and served from
 * memory; a jump outside the window starts over with one small request at the new place.
 * Design follows mountpoint-s3's prefetcher and rclone's chunked reader (ideas, not code).
 */
export class Prefetcher {
  private ranges: RangeBuffer[] = []; // sorted by start, non-overlapping
  private window: number;
  /** Where the current sequential stream began, and the end of what it has scheduled. */
  private streamStart = 0;
  private frontier = 0;
  private highestRead = 0;
  private closed = false;
  /** Requests made and seeks seen, for tests and debug logs: a seek should add exactly one request. */
  requests = 0;
  seeks = 0;

  constructor(
    private readonly size: number,
    private readonly deps: RangeDeps,
    private readonly budget: MemoryBudget,
    private readonly opts: PrefetchOptions = DEFAULT_PREFETCH,
  ) {
    this.window = opts.initialWindow;
  }

  async read(target: Buffer, pos: number, len: number): Promise<number> {
    if (this.closed) throw new DriveError('EBADF', 'file is closed');
    if (pos >= this.size || len <= 0) return 0;
    const end = Math.min(this.size, pos + len);
    if (!this.covering(pos)) this.onMiss(pos, end);
    this.highestRead = Math.max(this.highestRead, end);
    this.grow();
    this.scheduleAhead(end);

    let done = 0;
    while (pos + done < end) {
      const at = pos + done;
      let r = this.covering(at);
      if (!r) r = this.addRange(at, Math.min(this.size, Math.max(end, at + this.opts.initialWindow)), true);
      r.pin();
      let n: number;
      try {
        await r.waitFor(end);
        if (this.closed) throw new DriveError('EBADF', 'file was closed during the read');
        n = r.copyOut(target, done, at, end);
      } finally {
        r.unpin();
      }
      if (n === 0) break; // the remote file ended early
      done += n;
    }
    this.dropUsed();
    return done;
  }

  close(): void {
    this.closed = true;
    for (const r of this.ranges) this.discard(r);
    this.ranges = [];
  }

  /**
   * A read outside every range. Just ahead of the stream: read through the gap. Inside the
   * stream's recent span (out-of-order kernel read-ahead): the read loop fills the hole. Anywhere
   * else: a seek, which starts a new small stream.
   */
  private onMiss(pos: number, end: number): void {
    const streaming = this.frontier > this.streamStart;
    if (streaming && pos >= this.frontier && pos - this.frontier <= this.opts.forwardReadThrough) {
      this.scheduleUpTo(end + this.window, true);
      return;
    }
    // Just behind the stream (out-of-order kernel read-ahead), even before where it started.
    if (streaming && pos < this.frontier && pos >= this.highestRead - this.opts.keepBehind) return;
    // A seek: start a small stream here; ranges far from it are dropped.
    this.seeks++;
    this.dropWhere((r) => r.end < pos - this.opts.keepBehind || r.start > pos + this.opts.forwardReadThrough);
    this.window = this.opts.initialWindow;
    this.streamStart = pos;
    this.frontier = pos;
    this.highestRead = pos;
    this.scheduleUpTo(Math.max(end, pos + this.opts.initialWindow), true);
  }

  /** Double the window each time the reader has consumed half of it, up to the cap. */
  private grow(): void {
    while (this.window < this.opts.maxWindow && this.highestRead - this.streamStart >= this.window / 2) {
      this.window = Math.min(this.opts.maxWindow, this.window * 2);
    }
  }

  /**
   * Fetch further ahead only once half of what is already fetched ahead has been read: a reader
   * that stops after the first small read (a file header, `head`) costs one request.
   */
  private scheduleAhead(readEnd: number): void {
    if (readEnd < this.streamStart || this.frontier - this.highestRead >= this.window / 2) return;
    this.scheduleUpTo(this.highestRead + this.window, false);
  }

  /** Add ranges from the frontier until `target`; `force` for bytes a read is waiting on. */
  private scheduleUpTo(target: number, force: boolean): void {
    target = Math.min(this.size, target);
    const requestSize = Math.max(this.opts.initialWindow, Math.min(this.opts.maxRequest, Math.floor(this.window / this.opts.maxParallel)));
    while (this.frontier < target) {
      const start = this.frontier;
      const existing = this.covering(start);
      if (existing) {
        this.frontier = existing.end; // never fetch what is already here or coming
        continue;
      }
      const inflight = this.ranges.filter((r) => !r.done).length;
      if (!force && inflight >= this.opts.maxParallel) return;
      let stop = Math.min(this.size, start + requestSize);
      const next = this.ranges.find((r) => r.start > start);
      if (next && next.start < stop) stop = next.start;
      if (!this.addRange(start, stop, force)) return;
      this.frontier = stop;
      force = false; // only the first range of a forced schedule is needed now
    }
  }

  private addRange(start: number, end: number, force: true): RangeBuffer;
  private addRange(start: number, end: number, force: boolean): RangeBuffer | undefined;
  private addRange(start: number, end: number, force: boolean): RangeBuffer | undefined {
    const next = this.ranges.find((r) => r.start > start);
    if (next && next.start < end) end = next.start;
    const bytes = end - start;
    if (force) this.budget.force(bytes);
    else if (!this.budget.tryReserve(bytes)) return undefined;
    const r = new RangeBuffer(start, end, this.deps);
    this.requests++;
    const i = this.ranges.findIndex((x) => x.start > start);
    if (i < 0) this.ranges.push(r);
    else this.ranges.splice(i, 0, r);
    return r;
  }

  private covering(pos: number): RangeBuffer | undefined {
    // Few ranges per file (≤ maxParallel + a couple): a linear scan is cheapest.
    for (const r of this.ranges) {
      if (r.start <= pos && pos < r.end) {
        if (!r.failed) return r;
        this.dropWhere((x) => x === r); // let the next read try again
        return undefined;
      }
    }
    return undefined;
  }

  /** Forget ranges every byte of which was read, and partly read ones far behind the stream. */
  private dropUsed(): void {
    const limit = this.highestRead - this.opts.keepBehind;
    if (!this.ranges.some((r) => r.fullyServed || r.end <= limit)) return;
    this.dropWhere((r) => !r.pinned && (r.fullyServed || r.end <= limit));
  }

  private dropWhere(pred: (r: RangeBuffer) => boolean): void {
    const keep: RangeBuffer[] = [];
    for (const r of this.ranges) {
      if (pred(r)) this.discard(r);
      else keep.push(r);
    }
    this.ranges = keep;
  }

  private discard(r: RangeBuffer): void {
    r.release();
    this.budget.release(r.length);
  }
}
