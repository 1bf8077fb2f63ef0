/**
 * Slots for the copies the whole-read hash check keeps of reads that arrive ahead of an unread
 * gap (see sequential-check.ts). Such copies come and go all the time while the kernel's
 * read-ahead races libfuse's threads; a fresh buffer each time would be garbage for the
 * collector. FUSE reads are at most 128 KiB (max_read), so one slot size fits them all; a few
 * idle slots are kept for the next copy.
 */
export const SLOT_BYTES = 128 << 10;

export class AsideBuffers {
  private readonly free: Buffer[] = [];

  constructor(private readonly maxIdle: number) {}

  /** A copy of `bytes` in a recycled slot when it fits one, else in a buffer of its own. */
  copyOf(bytes: Uint8Array): Buffer {
    if (bytes.length > SLOT_BYTES) return Buffer.from(bytes);
    const slot = this.free.pop() ?? Buffer.allocUnsafeSlow(SLOT_BYTES);
    slot.set(bytes);
    return slot.subarray(0, bytes.length);
  }

  /** Give back a copy from copyOf(); nobody may use it afterwards. */
  give(copy: Buffer): void {
    if (copy.buffer.byteLength !== SLOT_BYTES || copy.byteOffset !== 0 || this.free.length >= this.maxIdle) return; // let GC have it
    this.free.push(Buffer.from(copy.buffer, 0, SLOT_BYTES));
  }

  get idle(): number {
    return this.free.length;
  }
}
