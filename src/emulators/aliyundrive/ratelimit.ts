// The platform's documented per-user request limits, as sliding one-second
// windows: openFile/list 4/s, openFile/getDownloadUrl 1/s, every other API
// 15/s. A refused call does not use a slot; the answer says how long until
// the oldest call in the window leaves it (x-retry-after, milliseconds).

export type RateClass = 'list' | 'link' | 'other';

export const RATE_LIMITS: Readonly<Record<RateClass, number>> = { list: 4, link: 1, other: 15 };
const WINDOW_MS = 1000;

export function rateClassOf(op: string): RateClass {
  if (op === 'list') return 'list';
  if (op === 'getDownloadUrl') return 'link';
  return 'other';
}

export class RateLimiter {
  private readonly windows = new Map<RateClass, number[]>();

  /** 0 when the call is admitted (and recorded), else milliseconds until a slot frees. */
  take(cls: RateClass, now = Date.now()): number {
    let w = this.windows.get(cls);
    if (!w) this.windows.set(cls, (w = []));
    while (w.length > 0 && w[0] <= now - WINDOW_MS) w.shift();
    if (w.length < RATE_LIMITS[cls]) {
      w.push(now);
      return 0;
    }
    return Math.max(1, w[0] + WINDOW_MS - now);
  }

  reset(): void {
    this.windows.clear();
  }
}
