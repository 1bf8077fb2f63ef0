import type { ChangeFeed } from '../drives/types.js';
import type { Logger } from '../util/log.js';
import type { AppliedChange, MetadataCache } from './metadata-cache.js';

export interface ChangePollerOptions {
  intervalMs: number;
  /** Longest wait between tries while the service cannot be reached. */
  maxBackoffMs?: number;
  /** Paths whose local state must not be replaced by the service's (files staged or uploading). */
  keep?: (path: string) => boolean;
  /** Told of every change applied (open readers of a changed file stop at their version). */
  onApplied?: (changes: AppliedChange[]) => void;
}

/**
 * Polls a drive's change feed and lays what it reports over the metadata cache, so changes made
 * elsewhere show within one interval. When the service lost track (resync), every cached entry
 * is dropped and asked again on demand; while it cannot be reached, polls back off.
 */
export class ChangePoller {
  private cursor?: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private failures = 0;
  /** Rounds applied (and resyncs), for tests and stats. */
  readonly counters = { rounds: 0, changes: 0, resyncs: 0, failures: 0 };
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly feed: ChangeFeed,
    private readonly cache: MetadataCache,
    private readonly log: Logger,
    private readonly opts: ChangePollerOptions,
  ) {}

  /** Takes the starting point ("from now on") and schedules the polls. */
  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Resolves after the next round completes (applied, resynced or failed). */
  nextRound(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll().finally(() => {
        this.running = undefined;
        for (const w of this.waiters.splice(0)) w();
      });
    }, ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    let next = this.opts.intervalMs;
    try {
      if (this.cursor === undefined) {
        this.cursor = await this.feed.start();
      } else {
        const mark = this.cache.changeMark();
        const round = await this.feed.since(this.cursor);
        if (this.stopped) return;
        if (round.kind === 'reset') {
          this.counters.resyncs++;
          this.log.warn('the service lost track of changes since the last poll: dropping every cached entry (they are read again when asked for)');
          this.cache.clear();
          this.opts.onApplied?.([]);
        } else if (round.changes.length > 0) {
          const applied = this.cache.applyRemote(round.changes, mark, this.opts.keep);
          this.counters.changes += applied.length;
          this.log.debug({ changes: applied.length }, 'remote changes applied');
          this.opts.onApplied?.(applied);
        }
        this.cursor = round.cursor;
        this.counters.rounds++;
      }
      if (this.failures > 0) this.log.info('change polling works again');
      this.failures = 0;
    } catch (e) {
      this.counters.failures++;
      if (this.failures === 0) this.log.warn({ err: (e as Error).message }, 'polling for remote changes failed; retrying with backoff');
      this.failures++;
      next = Math.min(this.opts.maxBackoffMs ?? 10 * 60_000, this.opts.intervalMs * 2 ** Math.min(this.failures, 10));
    }
    this.schedule(next);
  }
}
