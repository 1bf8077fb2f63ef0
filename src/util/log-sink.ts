import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** How long one line may wait on a full non-blocking pipe (EAGAIN) before it is dropped. */
const EAGAIN_BUDGET_MS = 1000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Where log lines go: a file or a file descriptor, written synchronously, and never throwing.
 * Log calls sit inside FUSE handlers; a log that cannot be written (disk full, a closed pipe,
 * a revoked file) must not take the request — or the process — down with it. On the first
 * failure one line on stderr says so and the rest of the log goes to stderr; when stderr
 * itself fails, lines are dropped silently.
 */
export class LogSink {
  private fd: number;
  private failed = false;
  private readonly ownsFd: boolean;

  constructor(
    private readonly target: number | string,
    private readonly format: (line: string) => string = (l) => l,
    private readonly fallbackFd = 2,
  ) {
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
    const err = writeFully(this.fd, text);
    if (err && !this.failed) this.switchToFallback(err, text);
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
    writeFully(this.fd, `drivemount: cannot write the log to ${where} (${err.code ?? err.message}); logging to stderr from now on\n`);
    writeFully(this.fd, text);
  }
}

/** Write all of `text`; the error that stopped it, if any (never thrown). */
function writeFully(fd: number, text: string): NodeJS.ErrnoException | undefined {
  let buf = Buffer.from(text, 'utf8');
  let waitedMs = 0;
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // A non-blocking pipe whose reader is slow: wait a little, then give up on this line only.
      if (err.code === 'EAGAIN' && waitedMs < EAGAIN_BUDGET_MS) {
        Atomics.wait(sleeper, 0, 0, 5);
        waitedMs += 5;
        continue;
      }
      return err.code === 'EAGAIN' ? undefined : err;
    }
  }
  return undefined;
}
