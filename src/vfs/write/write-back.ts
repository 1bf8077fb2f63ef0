import type { Logger } from '../../util/log.js';
import type { StagedFile } from './staged-file.js';

/** Longest wait between two tries of one upload. */
const MAX_BACKOFF_MS = 5 * 60_000;
/** Uploads of the queue running at once. */
const CONCURRENCY = 4;

interface Pending {
  f: StagedFile;
  dueMs: number;
  attempts: number;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  lastError?: string;
}

export interface QueuedUpload {
  path: string;
  size: number;
  /** Seconds until the next try (0: running or due). */
  dueInSec: number;
  attempts: number;
  lastError?: string;
}

/**
 * Write-back: files closed (staged and journaled durably) wait `delayMs`, then upload; a failed
 * upload is tried again with a growing wait, never dropped. A file written and closed again
 * before its turn goes once, with its last bytes. A file with a handle open waits for its close.
 */
export class WriteBackQueue {
  private readonly pending = new Map<StagedFile, Pending>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private stopped = false;
  /** Closes waiting for room in the queue, told each time an upload leaves it. */
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly deps: {
      delayMs: number;
      log: Logger;
      /** Upload the file (Committer.commit); throws on failure (already logged). */
      commit(f: StagedFile): Promise<void>;
      /** The upload succeeded. */
      done(f: StagedFile): Promise<void>;
    },
  ) {}

  /**
   * Bytes waiting in the queue (files not yet committed), `except` left out. A queued file open
   * again does not count: it uploads only once closed, and its holder may be the very program
   * waiting for room (counting it could make that program wait for itself).
   */
  queuedBytes(except?: StagedFile): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.f !== except && p.f.hasUnsentChanges && (p.running || p.f.handles === 0)) n += p.f.size;
    return n;
  }

  /**
   * Wait (never fail) until the queue, with `f` at `size` bytes, fits `maxBytes` — or `f` is the
   * only one left, so a file larger than the limit still goes.
   */
  async roomFor(f: StagedFile, maxBytes: number, size = f.size): Promise<void> {
    for (;;) {
      const others = this.queuedBytes(f);
      if (others === 0 || others + size <= maxBytes || this.stopped || f.detached) return;
      await new Promise<void>((r) => this.roomWaiters.push(r));
    }
  }

  private freed(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const r of w) r();
  }

  has(f: StagedFile): boolean {
    return this.pending.has(f);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Upload `f` after the delay (again from now if it was waiting already). */
  schedule(f: StagedFile): void {
    const p = this.pending.get(f) ?? { f, dueMs: 0, attempts: 0 };
    this.pending.set(f, p);
    if (p.running) return; // the upload under way is followed by another if the bytes changed (see run)
    this.arm(p, this.deps.delayMs);
  }

  list(): QueuedUpload[] {
    const now = Date.now();
    return [...this.pending.values()].filter((p) => p.running || p.f.hasUnsentChanges).map((p) => ({
      path: p.f.path,
      size: p.f.size,
      dueInSec: p.running ? 0 : Math.max(0, Math.ceil((p.dueMs - now) / 1000)),
      attempts: p.attempts,
      lastError: p.lastError,
    }));
  }

  /**
   * Unmount: everything due at once; resolves with how many are left when the queue is empty or
   * `timeoutMs` passed (those stay journaled for the next mount). A progress line every 5 s.
   */
  async drain(timeoutMs: number): Promise<number> {
    // Files committed meanwhile by an fsync() leave now.
    for (const p of [...this.pending.values()]) {
      if (p.running || p.f.hasUnsentChanges) continue;
      clearTimeout(p.timer);
      this.pending.delete(p.f);
      await this.deps.done(p.f);
    }
    if (this.pending.size === 0) return 0;
    const end = Date.now() + timeoutMs;
    this.deps.log.info({ files: this.pending.size }, `waiting for ${this.pending.size} write-back upload(s) before exiting`);
    for (const p of this.pending.values()) if (!p.running) this.arm(p, 0);
    let lastLine = Date.now();
    while (this.pending.size > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        this.deps.log.info({ files: this.pending.size }, `still uploading: ${this.pending.size} file(s) left`);
      }
    }
    this.stop();
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
    this.freed();
    for (const p of this.pending.values()) clearTimeout(p.timer);
  }

  private arm(p: Pending, ms: number): void {
    clearTimeout(p.timer);
    if (this.stopped) return;
    p.dueMs = Date.now() + ms;
    p.timer = setTimeout(() => void this.run(p), ms);
    p.timer.unref?.();
  }

  private async run(p: Pending): Promise<void> {
    p.timer = undefined;
    if (this.pending.get(p.f) !== p || p.running) return;
    if (p.f.handles > 0) {
      this.arm(p, this.deps.delayMs); // open again: its next close decides what to send
      return;
    }
    const slot = this.take();
    p.running = slot.then(async () => {
      try {
        await this.deps.commit(p.f);
        p.lastError = undefined;
        if (p.f.hasUnsentChanges && !p.f.detached) {
          this.arm(p, this.deps.delayMs); // written and closed again while it was sent
          return;
        }
        this.pending.delete(p.f);
        this.freed();
        await this.deps.done(p.f);
      } catch (e) {
        p.attempts++;
        p.lastError = (e as Error).message;
        const wait = Math.min(MAX_BACKOFF_MS, Math.max(1000, this.deps.delayMs) * 2 ** Math.min(p.attempts, 12));
        this.deps.log.warn({ path: p.f.path, attempts: p.attempts, retryInSec: Math.round(wait / 1000) }, `write-back of ${p.f.path} failed (${p.attempts} tries); trying again in ${Math.round(wait / 1000)} s`);
        this.arm(p, wait);
      } finally {
        this.release();
      }
    });
    try {
      await p.running;
    } finally {
      p.running = undefined;
    }
  }

  private take(): Promise<void> {
    if (this.running < CONCURRENCY) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push(() => {
      this.running++;
      r();
    }));
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
