import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** How long one line may wait on a full non-blocking pipe (EAGAIN) before it is dropped. */
const EAGAIN_BUDGET_MS = 1000;
const EAGAIN_STEP_MS = 5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

export interface LogSinkOptions {
  /** Where lines go after the target fails (default stderr). */
  fallbackFd?: number;
  /** Blocks the thread for `ms`; replaceable so tests can count the waits. */
  sleep?: (ms: number) => void;
}

/** How a write ended: done, the pipe stayed full (`wrote` bytes of the text went out), or an error. */
type WriteResult = { done: true } | { full: true; wrote: number } | { error: NodeJS.ErrnoException };

/**
 * Where log lines go: a file or a file descriptor, written synchronously, and never throwing.
 * Log calls sit inside FUSE handlers; a log that cannot be written (disk full, a closed pipe,
 * a revoked file) must not take the request — or the process — down with it. On the first
 * failure one line on stderr says so and the rest of the log goes to stderr; when stderr
 * itself fails, lines are dropped silently.
 *
 * A pipe whose reader stopped reading (a stuck `| less`, a paused log collector) is not a
 * failure, but it must not stall the mount either: the first line that finds it full waits up
 * to a second; from then on a line that finds it full is dropped at once and counted, and the
 * first line that gets through again is preceded by how many were lost.
 */
export class LogSink {
  private fd: number;
  private failed = false;
  private readonly ownsFd: boolean;
  private readonly fallbackFd: number;
  private readonly sleep: (ms: number) => void;
  /** Lines lost since the pipe was found full; > 0 means congested: do not wait. */
  private dropped = 0;
  /** A line was cut off part-way: the next text must start on a line of its own. */
  private midLine = false;

  constructor(
    private readonly target: number | string,
    private readonly format: (line: string) => string = (l) => l,
    opts: LogSinkOptions = {},
  ) {
    this.fallbackFd = opts.fallbackFd ?? 2;
    this.sleep = opts.sleep ?? sleepSync;
    if (typeof target === 'number') {
      this.fd = target;
      this.ownsFd = false;
    } else {
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      this.fd = openSync(target, 'a', 0o600);
      this.ownsFd = true;
    }
  }

  /** pino calls this with one serialized (already redacted) JSON line. */
  write(line: string): boolean {
    let text: string;
    try {
      text = this.format(line);
    } catch {
      text = line; // a formatter bug must not lose the line either
    }
    const congested = this.dropped > 0;
    const notice = congested
      ? `drivemount: ${this.dropped} log line${this.dropped === 1 ? '' : 's'} dropped: the log reader was not keeping up\n`
      : '';
    const out = (this.midLine ? '\n' : '') + notice + text;
    const r = writeFully(this.fd, out, congested ? 0 : EAGAIN_BUDGET_MS, this.sleep);
    if ('done' in r) {
      this.dropped = 0;
      this.midLine = false;
    } else if ('full' in r) {
      this.dropped++;
      if (r.wrote > 0) this.midLine = true;
    } else {
      this.dropped = 0;
      this.midLine = false;
      if (!this.failed) this.switchToFallback(r.error, text);
    }
    return true;
  }

  private switchToFallback(err: NodeJS.ErrnoException, text: string): void {
    this.failed = true;
    const where = typeof this.target === 'string' ? this.target : this.target === 2 ? 'stderr' : `fd ${this.target}`;
    if (this.fd === this.fallbackFd) return; // stderr itself is gone: nowhere left to say so
    if (this.ownsFd) {
      try {
        closeSync(this.fd);
      } catch {
        /* already unusable */
      }
    }
    this.fd = this.fallbackFd;
    const notice = `drivemount: cannot write the log to ${where} (${err.code ?? err.message}); logging to stderr from now on\n`;
    writeFully(this.fd, notice + text, EAGAIN_BUDGET_MS, this.sleep);
  }
}

/** Write all of `text`, waiting at most `budgetMs` in all while the pipe is full; never throws. */
function writeFully(fd: number, text: string, budgetMs: number, sleep: (ms: number) => void): WriteResult {
  const all = Buffer.from(text, 'utf8');
  let buf = all;
  let waitedMs = 0;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'EAGAIN') return { error: err };
      if (waitedMs >= budgetMs) return { full: true, wrote: all.length - buf.length };
      sleep(EAGAIN_STEP_MS);
      waitedMs += EAGAIN_STEP_MS;
    }
  }
  return { done: true };
}
