// Space accounting. The quota is per user: both drives, the recycle bin and
// displaced duplicates count (their bytes are still stored). getSpaceInfo reports it; create,
// complete and copy refuse to go over it with QuotaExhausted.Drive, and so
// does an account flagged overCapacity (it is over by definition).

import type { AliContext } from './context.js';
import { quotaExhausted } from './errors.js';

export class Usage {
  private cache: { at: number; bytes: number } | null = null;
  private pending: Promise<number> | null = null;

  constructor(private readonly ctx: () => AliContext) {}

  /** Bytes used; cached briefly because it walks every tree. */
  async used(maxAgeMs = 1000): Promise<number> {
    if (this.cache && Date.now() - this.cache.at <= maxAgeMs) return this.cache.bytes;
    this.pending ??= (async () => {
      const { drives } = this.ctx();
      let bytes = 0;
      for (const d of new Set([drives.resource, drives.backup])) bytes += (await d.liveBytes()) + (await d.parkedBytes());
      this.cache = { at: Date.now(), bytes };
      return bytes;
    })().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Call after the emulator changed content. */
  invalidate(): void {
    this.cache = null;
  }
}

/**
 * Throws QuotaExhausted.Drive unless `extraBytes` more fit (an extraBytes of
 * 0 still fails on a full drive: the service refuses even new folders then).
 */
export async function ensureQuota(ctx: AliContext, extraBytes: number): Promise<void> {
  const f = ctx.faults.get();
  let over = f.accountState === 'overCapacity';
  if (!over) {
    // A slightly stale figure is fine far from the limit; near it, recount.
    let used = await ctx.usage.used(1000);
    if (f.quotaTotal - used - extraBytes < 1024 ** 3) used = await ctx.usage.used(0);
    over = extraBytes > 0 ? used + extraBytes > f.quotaTotal : used >= f.quotaTotal;
  }
  if (over) {
    ctx.stats.inc('quotaExceeded');
    throw quotaExhausted();
  }
}
