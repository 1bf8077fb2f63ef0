import { setTimeout as sleep } from 'node:timers/promises';

/** The documented per-user limits (docs/services/aliyundrive-open.md, "Rate limits and Retry"): calls per second. */
export const RATE_LIMITS = { list: 4, link: 1, other: 15 } as const;
export type RateClass = keyof typeof RATE_LIMITS;

/**
 * Client-side pacing: a call waits until fewer than the allowed number started in the last
 * window, so a burst of `ls -l` over many folders slows down instead of drawing 429s. The window
 * is 10% longer than a second: the service counts arrivals, which network jitter shifts.
 */
const WINDOW_MS = 1100;

export class Pacer {
  private readonly starts: Record<RateClass, number[]> = { list: [], link: [], other: [] };
  /** Total time calls waited, for --stats. */
  waitedMs = 0;

  constructor(private readonly limits: Record<RateClass, number> = RATE_LIMITS) {}

  async take(cls: RateClass): Promise<void> {
    for (;;) {
      const now = Date.now();
      const list = this.starts[cls];
      while (list.length > 0 && now - list[0]! >= WINDOW_MS) list.shift();
      if (list.length < this.limits[cls]) {
        list.push(now);
        return;
      }
      const wait = WINDOW_MS - (now - list[0]!) + 1;
      this.waitedMs += wait;
      await sleep(wait);
    }
  }
}
