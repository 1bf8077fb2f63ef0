import type { Readable } from 'node:stream';

/**
 * The useful bytes of a download answer: `skip` bytes dropped first (a host that ignored Range
 * sent the file from its start), then at most `want` bytes. The body is destroyed at the end,
 * also when the consumer stops early, so a host that keeps sending is cut off.
 */
export async function* rangedBody(body: Readable, skip: number, want: number): AsyncGenerator<Buffer> {
  try {
    for await (const piece of body as AsyncIterable<Buffer>) {
      let p = piece;
      if (skip > 0) {
        if (p.length <= skip) {
          skip -= p.length;
          continue;
        }
        p = p.subarray(skip);
        skip = 0;
      }
      if (p.length > want) p = p.subarray(0, want);
      want -= p.length;
      yield p;
      if (want <= 0) break;
    }
  } finally {
    body.destroy();
  }
}
