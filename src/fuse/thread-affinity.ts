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

/** The CPUs this process may use (the main thread's list, as taskset takes it). */
function allowedCpus(): string | undefined {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

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
  private readonly all = allowedCpus();
  private broken = false;

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

  stop(): void {
    clearInterval(this.timer);
  }

  get isPinned(): boolean {
    return this.pinned;
  }

  /** Bytes a read or write moved: a stream spreads the threads out at once. */
  note(bytes: number): void {
    if (bytes <= 0) return;
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
    this.pinned = true;
    const cpu = statFields(String(process.pid))?.[36]; // field 39: processor
    return this.apply(cpu !== undefined && /^\d+$/.test(cpu) ? cpu : undefined);
  }

  private spread(): Promise<void> {
    this.pinned = false;
    return this.apply(this.all);
  }

  private apply(cpus: string | undefined): Promise<void> {
    const wanted = this.pinned;
    this.applying = this.applying.then(async () => {
      if (this.broken || cpus === undefined || wanted !== this.pinned) return;
      const fuse = [...threadIds()].filter((t) => !this.before.has(t));
      if (fuse.length === 0) return;
      try {
        // One process for all threads: each spawn from the main thread delays the requests it serves.
        await run('sh', ['-c', 'c=$1; shift; for t; do taskset -p -c "$c" "$t" >/dev/null || exit 1; done', 'sh', cpus, String(process.pid), ...fuse]);
        this.log.debug({ cpus, threads: fuse.length + 1 }, wanted ? 'main and FUSE threads kept on one CPU' : 'main and FUSE threads on every CPU');
      } catch (e) {
        this.broken = true; // no taskset, or not allowed: leave the threads as they are
        this.log.debug({ err: (e as Error).message }, 'cannot set thread affinity');
      }
    });
    return this.applying;
  }
}
