import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { RemoteEntry } from '../../src/drives/types.js';
import { SequentialCheck } from '../../src/vfs/read-cache/sequential-check.js';

const KiB = 1024;
const entry = (data: Buffer, sha1 = createHash('sha1').update(data).digest('hex')): RemoteEntry =>
  ({ id: 'x', name: 'x', isDir: false, size: data.length, mtimeMs: 0, birthtimeMs: 0, hashes: { sha1 } });

/** Reads of `step` bytes begun and observed in the orders given (indexes of the pieces). */
async function run(data: Buffer, step: number, beginOrder: number[], observeOrder: number[], sha1?: string): Promise<{ answers: boolean[]; check: SequentialCheck }> {
  const check = SequentialCheck.for(entry(data, sha1))!;
  const tokens = new Map<number, ReturnType<SequentialCheck['begin']>>();
  for (const i of beginOrder) tokens.set(i, check.begin(i * step, step));
  const answers: boolean[] = [];
  await Promise.all(observeOrder.map(async (i, k) => {
    await new Promise((r) => setTimeout(r, k)); // observed in this order
    const t = tokens.get(i);
    if (t) answers[i] = await check.observe(t, data.subarray(i * step, (i + 1) * step));
  }));
  return { answers, check };
}

test('reads completing out of order are hashed in file order and the whole file matches', async () => {
  const data = randomBytes(512 * KiB);
  const { answers, check } = await run(data, 128 * KiB, [0, 1, 2, 3], [2, 0, 3, 1]);
  assert.equal(check.result, true);
  assert.deepEqual(answers, [true, true, true, true]);
});

test('a read handed over before the read of the gap began is still checked: a mismatch is found', async () => {
  const data = randomBytes(384 * KiB);
  // Piece 2 begins and completes before piece 1 even begins (libfuse's threads raced).
  const check = SequentialCheck.for(entry(data, '0'.repeat(40)))!;
  const t0 = check.begin(0, 128 * KiB)!;
  assert.equal(await check.observe(t0, data.subarray(0, 128 * KiB)), true);
  const t2 = check.begin(256 * KiB, 128 * KiB)!;
  assert.equal(await check.observe(t2, data.subarray(256 * KiB)), true);
  const t1 = check.begin(128 * KiB, 128 * KiB)!;
  assert.equal(await check.observe(t1, data.subarray(128 * KiB, 256 * KiB)), false, 'the read completing the file did not report the mismatch');
  assert.equal(check.result, false);
});

test('the same race with the right hash matches', async () => {
  const data = randomBytes(384 * KiB);
  const check = SequentialCheck.for(entry(data))!;
  for (const i of [0, 2, 1]) assert.equal(await check.observe(check.begin(i * 128 * KiB, 128 * KiB)!, data.subarray(i * 128 * KiB, (i + 1) * 128 * KiB)), true);
  assert.equal(check.result, true);
});

test('a handle jumping far ahead is not checked (and keeps no copies)', async () => {
  const data = Buffer.alloc(64 << 20);
  const check = SequentialCheck.for(entry(data, '0'.repeat(40)))!;
  for (let pos = 1 << 20; pos < data.length; pos += 1 << 20) {
    const t = check.begin(pos, 1 << 20);
    if (!t) break;
    assert.equal(await check.observe(t, data.subarray(pos, pos + (1 << 20))), true);
  }
  assert.equal(check.begin(0, 1 << 20), undefined, 'still checking a handle that read 16 MiB ahead of a gap');
  assert.equal(check.result, undefined);
});
