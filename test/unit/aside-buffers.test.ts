import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AsideBuffers, SLOT_BYTES } from '../../src/vfs/read-cache/aside-buffers.js';

test('a copy holds the bytes, and a slot given back is reused for the next copy', () => {
  const pool = new AsideBuffers(4);
  const a = randomBytes(100_000);
  const c1 = pool.copyOf(a);
  assert.deepEqual(c1, a);
  const underlying = c1.buffer;
  pool.give(c1);
  assert.equal(pool.idle, 1);
  const b = randomBytes(SLOT_BYTES);
  const c2 = pool.copyOf(b);
  assert.equal(c2.buffer, underlying, 'the recycled slot');
  assert.deepEqual(c2, b);
  assert.equal(pool.idle, 0);
});

test('a copy is independent of its source', () => {
  const pool = new AsideBuffers(4);
  const a = randomBytes(4096);
  const c = pool.copyOf(a);
  a.fill(0);
  assert.notDeepEqual(c, a);
});

test('larger-than-slot copies are not pooled, and idle slots stay within the bound', () => {
  const pool = new AsideBuffers(2);
  const big = pool.copyOf(randomBytes(SLOT_BYTES + 1));
  assert.equal(big.length, SLOT_BYTES + 1);
  pool.give(big);
  assert.equal(pool.idle, 0);
  const copies = [1, 2, 3].map(() => pool.copyOf(randomBytes(10)));
  for (const c of copies) pool.give(c);
  assert.equal(pool.idle, 2);
});
