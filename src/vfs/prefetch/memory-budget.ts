/**
 * A byte budget shared by every open file's prefetch buffers, so many readers at once cannot
 * grow memory without bound. The bytes a read needs right now are always granted (`force`);
 * only speculative read-ahead is refused when the budget is spent.
 */
export class MemoryBudget {
  private used = 0;
  peak = 0;

  constructor(readonly limit: number) {}

  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.force(bytes);
    return true;
  }

  force(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get inUse(): number {
    return this.used;
  }
}
