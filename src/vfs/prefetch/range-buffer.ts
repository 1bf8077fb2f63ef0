import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from '../../http/client.js';
import { DriveError, toDriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { LinkProvider } from '../link-cache.js';
import type { BufferPool } from './buffer-pool.js';
import type { DownloadSlots } from './download-slots.js';

/** Consecutive attempts that bring no new byte before the range is given up as EIO. */
const MAX_FRUITLESS_ATTEMPTS = 6;
/** Waits for a busy service (too many downloads in flight) before that counts as a failure. */
const MAX_BUSY_WAITS = 30;

export interface RangeDeps {
  http: HttpClient;
  links: LinkProvider;
  log: Logger;
  /** The file's path, for log lines only. */
  path: string;
  /** Called with the number of bytes received, for throughput stats. */
  onBytes?: (n: number) => void;
  pool?: BufferPool;
  /** Where the service caps downloads per user: hold a slot while this range downloads. */
  slots?: DownloadSlots;
  /** Refusal codes that mean "busy", not "expired" (see DriveCapabilities.busyDownloadCodes). */
  busyCodes?: readonly string[];
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
    const release = await this.deps.slots?.acquire(this.abort.signal);
    try {
      await this.download();
    } finally {
      release?.();
    }
  }

  private async download(): Promise<void> {
    const { http, links, log, path } = this.deps;
    let fruitless = 0;
    let busyWaits = 0;
    while (this.filled < this.length) {
      if (this.abort.signal.aborted) return;
      const before = this.filled;
      const from = this.start + this.filled;
      const link = await links.get();
      try {
        const res = await http.request({
          url: link.url,
          preauthenticated: true,
          headers: { range: `bytes=${from}-${this.end - 1}` },
          signal: this.abort.signal,
          acceptStatus: [401, 403, 404, 410, 416],
        });
        if (res.status === 416) {
          await res.body.dump();
          this.eofAt = from; // the file is shorter than its listed size
          break;
        }
        if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 410) {
          const body = await res.body.text().catch(() => '');
          if (this.deps.busyCodes?.some((c) => body.includes(c)) && busyWaits < MAX_BUSY_WAITS) {
            // Too many downloads in flight for the service right now: the link is fine, wait.
            busyWaits++;
            await sleep(Math.min(2000, 100 * 2 ** Math.min(busyWaits, 5)), undefined, { signal: this.abort.signal }).catch(() => undefined);
            continue;
          }
          // Expired or revoked pre-authenticated link: resolve a fresh one and go on from `from`.
          log.debug({ path, status: res.status }, 'download link refused, re-resolving');
          links.invalidate(link);
        } else if (res.status === 200 || (res.status === 206 && rangeStart(res.headers['content-range']) === from)) {
          // A 200 means the host ignored Range: skip what we already have.
          await this.consume(res.body, res.status === 200 ? from : 0);
          if (this.filled === before && this.filled < this.length) {
            this.eofAt = from; // a clean, empty answer: nothing more exists
            break;
          }
        } else {
          // Anything else (a redirect, 204, a 206 for other bytes) is no data for us: retry.
          await res.body.dump();
          log.debug({ path, status: res.status }, 'unexpected answer to a ranged download, retrying');
        }
      } catch (e) {
        if (this.abort.signal.aborted) return;
        log.debug({ path, from, err: (e as Error).message }, 'range download interrupted, resuming');
      }
      fruitless = this.filled > before ? 0 : fruitless + 1;
      if (fruitless >= MAX_FRUITLESS_ATTEMPTS) {
        throw new DriveError('EIO', `download of ${path} failed: no progress after ${fruitless} attempts at byte ${this.start + this.filled}`);
      }
      if (fruitless > 1) await sleep(200 * 2 ** (fruitless - 2), undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
    this.finish();
  }

  private async consume(body: AsyncIterable<Buffer> & { destroy?: () => void }, skip: number): Promise<void> {
    let toSkip = skip;
    for await (const piece of body) {
      let p = piece as Buffer;
      if (toSkip > 0) {
        if (p.length <= toSkip) {
          toSkip -= p.length;
          continue;
        }
        p = p.subarray(toSkip);
        toSkip = 0;
      }
      const room = this.length - this.filled;
      const n = p.copy(this.buf, this.filled, 0, Math.min(p.length, room));
      this.filled += n;
      this.deps.onBytes?.(n);
      if (this.filled >= this.length) {
        // Finished before readers run, so a reader that drops the range can recycle its buffer.
        this.finish();
        body.destroy?.(); // a host that ignored Range keeps sending: stop it
        return;
      }
      this.wake();
    }
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

function rangeStart(header: string | string[] | undefined): number | undefined {
  const m = /^bytes (\d+)-/.exec(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''));
  return m ? Number(m[1]) : undefined;
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
