import { setTimeout as sleep } from 'node:timers/promises';

/** The documented per-user limits (docs/services/aliyundrive-open.md, "Rate limits and Retry"): calls per second. */
export const RATE_LIMITS = { list: 4, link: 1, other: 15 } as const;
export type RateClass = keyof typeof RATE_LIMITS;

/**
 * Client-side pacing: a call waits until fewer than the allowed number were made in the last
 * window, so a burst of `ls -l` over many folders slows down instead of drawing 429s. The service
 * counts arrivals, which lie somewhere between a call's start and its answer: so a call counts
 * from its start until a window after its answer (`done`), and the window is 10% longer than a
 * second for the clocks' and the network's jitter.
 */
const WINDOW_MS = 1100;
/** A call never answered (a bug, a lost promise) stops holding its slot after this. */
const IN_FLIGHT_MAX_MS = 120_000;
/** How often a call waiting only on calls still in flight looks again. */
const POLL_MS = 20;

interface Slot {
  /** When the call started, or when its answer came (after `done`). */
  at: number;
  answered: boolean;
}

export class Pacer {
  private readonly slots: Record<RateClass, Slot[]> = { list: [], link: [], other: [] };
  /** Total time calls waited, for --stats. */
  waitedMs = 0;

  constructor(private readonly limits: Record<RateClass, number> = RATE_LIMITS) {}

  /** Waits for a slot of `cls`; call the returned `done` when the call's answer (or failure) came. */
  // Every caller must call `done`: a slot not answered is held (up to IN_FLIGHT_MAX_MS).
  async take(cls: RateClass): Promise<() => void> {
    for (;;) {
      const now = Date.now();
      const live = this.slots[cls].filter((s) => now - s.at < (s.answered ? WINDOW_MS : IN_FLIGHT_MAX_MS));
      this.slots[cls] = live;
      if (live.length < this.limits[cls]) {
        const slot: Slot = { at: now, answered: false };
        live.push(slot);
        return () => {
          slot.at = Date.now();
          slot.answered = true;
        };
      }
      const answered = live.filter((s) => s.answered).map((s) => WINDOW_MS - (now - s.at) + 1);
      const wait = answered.length > 0 ? Math.min(...answered) : POLL_MS;
      this.waitedMs += wait;
      await sleep(wait);
    }
  }
}
