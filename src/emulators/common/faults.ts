// Fault-injection building blocks shared by the emulators: a validated,
// partially-updatable settings object and deterministic "every Nth" counters.
// Faults are deterministic (not random) so tests can predict exactly which
// request fails.

export const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/**
 * Fires on every Nth call, where N is read at each call (0 = never).
 * Changing N restarts the count so "every 3rd from now" is predictable.
 */
export class EveryN {
  private count = 0;
  private lastN = 0;

  constructor(private readonly getN: () => number) {}

  hit(): boolean {
    const n = this.getN();
    if (n !== this.lastN) {
      this.lastN = n;
      this.count = 0;
    }
    if (n <= 0) return false;
    this.count++;
    if (this.count >= n) {
      this.count = 0;
      return true;
    }
    return false;
  }

  reset(): void {
    this.count = 0;
  }
}

/**
 * A bag of numeric settings with defaults. Updates are partial and validated
 * (finite, non-negative numbers; unknown keys refused) so a typo in a test or
 * an admin call fails loudly instead of silently doing nothing.
 */
export class NumericSettings<T extends { [K in keyof T]: number }> {
  private current: T;

  constructor(defaults: T, initial?: Partial<T>) {
    this.current = { ...defaults };
    if (initial) this.update(initial);
  }

  get(): Readonly<T> {
    return this.current;
  }

  update(patch: Partial<T> | Record<string, unknown>): Readonly<T> {
    const next = { ...this.current } as Record<string, number>;
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (!(k in next)) throw new RangeError(`unknown setting '${k}'`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new RangeError(`setting '${k}' must be a finite number >= 0`);
      }
      next[k] = v;
    }
    this.current = next as T;
    return this.current;
  }
}
