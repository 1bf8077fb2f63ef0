// The upload read-ahead: each piece is what the source holds, the next one is read while the
// caller holds the current, a jump (a resume) reads the asked piece, and the digest sees pieces in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ReadAhead } from '../../src/drives/read-ahead.js';
import type { UploadSource } from '../../src/drives/types.js';

function source(data: Buffer, reads: [number, number][]): UploadSource {
  return {
    size: data.length,
    async read(offset, length, into) {
      reads.push([offset, length]);
      await new Promise((r) => setTimeout(r, 1));
      const buf = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      const n = data.copy(buf, 0, offset, Math.min(data.length, offset + length));
      return buf.subarray(0, n);
    },
  };
}

test('read-ahead: pieces match the source, the next is read before it is asked for, a jump reads what is asked', async () => {
  const data = randomBytes(1000);
  const reads: [number, number][] = [];
  const seen: number[] = [];
  const ra = new ReadAhead(source(data, reads), 300, (_b, at) => seen.push(at));
  const a = await ra.read(0, 300);
  assert.deepEqual(a, data.subarray(0, 300));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(reads, [[0, 300], [300, 300]], 'the next piece was read while the caller held the first');
  assert.deepEqual(a, data.subarray(0, 300), 'the piece held stays intact while the next is read');
  assert.deepEqual(await ra.read(300, 300), data.subarray(300, 600));
  // A resume sends the caller back: the piece asked is read, not the one read ahead.
  assert.deepEqual(await ra.read(100, 300), data.subarray(100, 400));
  assert.deepEqual(await ra.read(400, 300), data.subarray(400, 700));
  assert.deepEqual(await ra.read(700, 300), data.subarray(700, 1000));
  await ra.settle();
  assert.deepEqual(reads.at(-1), [700, 300], 'nothing is read past the end');
  assert.deepEqual(seen, [0, 300, 600, 100, 400, 700], 'the digest saw every piece read, in the order read');
});
