import type { Readable } from 'node:stream';

/**
 * The useful part of each piece of a download answer: `skip` bytes dropped first (a host that
 * ignored Range sent the file from its start), then at most `want` bytes. Synchronous, so a
 * download loop can apply it to each body chunk without another async-generator layer (each
 * layer costs promises per chunk on the hot read path).
 */
export class RangeTrim {
  constructor(private skip: number, private want: number) {}

  /** The bytes of `piece` to keep (maybe empty). */
  take(piece: Buffer): Buffer {
    let p = piece;
    if (this.skip > 0) {
      if (p.length <= this.skip) {
        this.skip -= p.length;
        return p.subarray(0, 0);
      }
      p = p.subarray(this.skip);
      this.skip = 0;
    }
    if (p.length > this.want) p = p.subarray(0, this.want);
    this.want -= p.length;
    return p;
  }

  /** Every wanted byte was taken: stop reading the body. */
  get done(): boolean {
    return this.want <= 0;
  }
}

/**
 * The useful bytes of a download answer (see RangeTrim). The body is destroyed at the end, also
 * when the consumer stops early, so a host that keeps sending is cut off.
 */
export async function* rangedBody(body: Readable, skip: number, want: number): AsyncGenerator<Buffer> {
  const trim = new RangeTrim(skip, want);
  try {
    for await (const piece of body as AsyncIterable<Buffer>) {
      const p = trim.take(piece);
      if (p.length > 0) yield p;
      if (trim.done) break;
    }
  } finally {
    body.destroy();
  }
}
