import { readdirSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../util/log.js';

const run = promisify(execFile);
const MiB = 1 << 20;

/** The thread ids of this process now. */
export function threadIds(): Set<string> {
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

function statFields(tid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The CPUs a thread may use now, as taskset takes them. */
function allowedCpus(tid: string): string | undefined {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/self/task/${tid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * One process sets every thread: each spawn from the main thread delays the requests it serves.
 * The main thread first (exit 3 if it cannot be set: no taskset, or not allowed); a libfuse
 * thread that ended meanwhile is skipped (libfuse ends idle workers after a burst), one still
 * living that cannot be set is exit 4.
 */
const SET_THREADS = `c=$1; p=$2; shift 2
taskset -p -c "$c" "$p" >/dev/null 2>&1 || exit 3
for t; do
  [ -d "/proc/$p/task/$t" ] || continue
  taskset -p -c "$c" "$t" >/dev/null 2>&1 || [ ! -d "/proc/$p/task/$t" ] || exit 4
done`;

export interface PinningOptions {
  /** How often the data rate is looked at. */
  checkMs: number;
  /** Bytes read or written within one check that let the threads spread out again. */
  spreadBytes: number;
  /** Bytes within one check below which they are kept together again. */
  gatherBytes: number;
}

export const DEFAULT_PINNING: PinningOptions = { checkMs: 500, spreadBytes: 16 * MiB, gatherBytes: 2 * MiB };

/**
 * Keeps the main thread and libfuse's threads (those started after `before`) on one CPU while the
 * mount mostly answers lookups, listings and small reads. Every FUSE request is handed from a
 * libfuse thread to the main thread and back; on two CPUs each hand-off is a cross-CPU wake-up,
 * which on a virtual machine costs more than the request itself (native-notes/tree-walks.md,
 * "Thread hand-offs"). Streaming reads and writes gain from the second CPU (libfuse's threads copy
 * the bytes while JavaScript fetches the next ones), so past `spreadBytes` per check the threads
 * may use every CPU again, and are gathered once the data stops. Threads libfuse starts later
 * inherit the setting of the thread that starts them; each change also covers threads started
 * since. Without `taskset` (util-linux) nothing changes.
 */
export class ThreadPinning {
  private moved = 0;
  private pinned = false;
  private timer: NodeJS.Timeout | undefined;
  /** One change at a time, in order. */
  private applying: Promise<void> = Promise.resolve();
  private readonly firstAll = allowedCpus(String(process.pid));
  private broken = false;
  private stopped = false;

  constructor(
    private readonly before: Set<string>,
    private readonly log: Logger,
    private readonly opts: PinningOptions = DEFAULT_PINNING,
  ) {}

  /** Gathers the threads now and starts watching the data rate. */
  start(): Promise<void> {
    this.timer = setInterval(() => this.check(), this.opts.checkMs);
    this.timer.unref();
    return this.gather();
  }

  /**
   * No more changes; the threads get every CPU back (the main thread goes on working after the
   * unmount, e.g. uploading the write-back queue, and what it starts inherits its CPUs).
   */
  stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.stopped || this.broken) return this.applying;
    this.stopped = true;
    this.pinned = false;
    return this.set(this.allCpus(), false);
  }

  get isPinned(): boolean {
    return this.pinned;
  }

  /** Resolves once the changes asked for so far are done. */
  settled(): Promise<void> {
    return this.applying;
  }

  /** Bytes a read or write moved: a stream spreads the threads out at once. */
  note(bytes: number): void {
    if (bytes <= 0 || this.stopped) return;
    this.moved += bytes;
    if (this.pinned && this.moved >= this.opts.spreadBytes) void this.spread();
  }

  /** read/write handlers that also count their bytes (the binding's callback gets the count or an errno). */
  wrap<T extends object>(ops: T): T {
    const o = ops as Record<string, unknown>;
    const wrapped: Record<string, unknown> = { ...o };
    for (const name of ['read', 'write'] as const) {
      const op = o[name] as ((...a: unknown[]) => void) | undefined;
      if (!op) continue;
      wrapped[name] = (path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) =>
        op(path, fd, buf, len, pos, (n: number) => {
          this.note(n);
          cb(n);
        });
    }
    return wrapped as T;
  }

  private check(): void {
    const moved = this.moved;
    this.moved = 0;
    if (!this.pinned && moved < this.opts.gatherBytes) void this.gather();
  }

  /** The main thread and libfuse's threads on the CPU the main thread last ran on. */
  private gather(): Promise<void> {
    if (this.stopped || this.broken) return this.applying;
    this.pinned = true;
    const cpu = statFields(String(process.pid))?.[36]; // field 39: processor
    return this.set(cpu !== undefined && /^\d+$/.test(cpu) ? cpu : undefined, true);
  }

  private spread(): Promise<void> {
    if (this.stopped || this.broken) return this.applying;
    this.pinned = false;
    return this.set(this.allCpus(), false);
  }

  /**
   * Every CPU the process may use now: read from one of node's own threads, which are never
   * pinned (a cpuset may have changed since the mount).
   */
  private allCpus(): string | undefined {
    for (const t of this.before) if (t !== String(process.pid)) {
      const cpus = allowedCpus(t);
      if (cpus) return cpus;
    }
    return this.firstAll;
  }

  private set(cpus: string | undefined, wanted: boolean): Promise<void> {
    const task = async (): Promise<void> => {
      if (cpus === undefined || wanted !== this.pinned || (this.broken && wanted)) return;
      const fuse = [...threadIds()].filter((t) => !this.before.has(t));
      if (fuse.length === 0) return;
      try {
        await run('sh', ['-c', SET_THREADS, 'sh', cpus, String(process.pid), ...fuse]);
        this.log.debug({ cpus, threads: fuse.length + 1 }, wanted ? 'main and FUSE threads kept on one CPU' : 'main and FUSE threads on every CPU');
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (this.broken) return;
        this.broken = true;
        this.pinned = false;
        if (code === 3 || code === 'ENOENT') {
          // No taskset, or changing affinity is not allowed here: nothing was changed.
          this.log.debug({ err: (e as Error).message }, 'cannot set thread affinity: threads left as they are');
          return;
        }
        // Some threads were changed and one was not: give all of them every CPU again, for good.
        const all = this.allCpus();
        if (all) await run('sh', ['-c', SET_THREADS, 'sh', all, String(process.pid), ...fuse]).catch(() => undefined);
        this.log.warn({ err: (e as Error).message }, 'thread affinity could not be changed: threads keep every CPU from now on');
      }
    };
    this.applying = this.applying.then(task).catch(() => {
      this.broken = true;
    });
    return this.applying;
  }
}
