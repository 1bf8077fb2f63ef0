/**
 * Recycles read-ahead buffers. Allocating a fresh multi-MiB buffer per range makes V8 run a full
 * mark-compact every few dozen MiB read (external memory pressure); reusing them keeps the
 * collector out of the hot path. Buffers come in power-of-two sizes so that ranges of similar
 * sizes share them.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes: number) {}

  /** A buffer of exactly `len` bytes (a view of a pooled, possibly larger, one). Contents are garbage. */
  take(len: number): Buffer {
    const cap = capacityFor(len);
    const list = this.free.get(cap);
    const buf = list?.pop();
    if (buf) {
      this.idleBytes -= cap;
      return buf.subarray(0, len);
    }
    return Buffer.allocUnsafeSlow(cap).subarray(0, len);
  }

  /** Give back a buffer from take(); nobody may use it afterwards. */
  give(view: Buffer): void {
    const whole = Buffer.from(view.buffer, view.byteOffset, view.buffer.byteLength - view.byteOffset);
    const cap = whole.length;
    if (cap !== capacityFor(cap) || this.idleBytes + cap > this.maxIdleBytes) return; // let GC have it
    let list = this.free.get(cap);
    if (!list) this.free.set(cap, (list = []));
    list.push(whole);
    this.idleBytes += cap;
  }
}

const MIN = 1 << 20;

function capacityFor(len: number): number {
  let c = MIN;
  while (c < len) c *= 2;
  return c;
}
