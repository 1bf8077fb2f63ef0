// Request counters by kind. Tests assert exact call counts ("listing this
// folder cost 3 pages"), so every key a caller declares is always present
// (as 0) and counting is explicit at the point where a request is classified.

export class Stats {
  private readonly counts = new Map<string, number>();

  constructor(private readonly keys: readonly string[]) {
    this.reset();
  }

  inc(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  reset(): void {
    this.counts.clear();
    for (const k of this.keys) this.counts.set(k, 0);
  }
}
