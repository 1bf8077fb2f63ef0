/** Byte spans [start, end) held, kept sorted and merged; a file's few read streams keep it short. */
export class SpanSet {
  private spans: [number, number][];

  constructor(spans: [number, number][] = []) {
    this.spans = [];
    for (const [a, b] of spans) this.add(a, b);
  }

  /** Bytes held in all. */
  get total(): number {
    let n = 0;
    for (const [a, b] of this.spans) n += b - a;
    return n;
  }

  list(): [number, number][] {
    return this.spans.map(([a, b]) => [a, b]);
  }

  /** Hold [a, b) too; returns how many of its bytes were not held before. */
  add(a: number, b: number): number {
    if (b <= a) return 0;
    const before = this.total;
    const out: [number, number][] = [];
    let placed = false;
    for (const s of this.spans) {
      if (s[1] < a) out.push(s);
      else if (s[0] > b) {
        if (!placed) out.push([a, b]), (placed = true);
        out.push(s);
      } else {
        a = Math.min(a, s[0]);
        b = Math.max(b, s[1]);
      }
    }
    if (!placed) out.push([a, b]);
    this.spans = out;
    return this.total - before;
  }

  /** The end of the held span containing `pos`, or `pos` itself when `pos` is not held. */
  heldUntil(pos: number): number {
    for (const [a, b] of this.spans) {
      if (a > pos) break;
      if (pos < b) return b;
    }
    return pos;
  }

  /** The start of the first held span after `pos`, or Infinity. */
  nextAfter(pos: number): number {
    for (const [a] of this.spans) if (a > pos) return a;
    return Infinity;
  }

  covers(a: number, b: number): boolean {
    return this.heldUntil(a) >= b;
  }
}
