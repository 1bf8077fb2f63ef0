import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryBudget } from '../../src/vfs/prefetch/memory-budget.js';
import { BufferPool } from '../../src/vfs/prefetch/buffer-pool.js';
import { Prefetcher, DEFAULT_PREFETCH } from '../../src/vfs/prefetch/prefetcher.js';
import { silentLogger } from '../../src/util/log.js';
import { DriveError } from '../../src/util/errors.js';
import { memoryContent, type ContentFault } from '../helpers/memory-content.js';

const MiB = 1 << 20;
const DATA = randomBytes(40 * MiB);

function deps(c: ReturnType<typeof memoryContent>, pool?: BufferPool) {
  return { content: c.source, log: silentLogger, path: '/f', pool };
}

async function readAll(pf: Prefetcher, size: number, step = 128 * 1024): Promise<Buffer> {
  const out = Buffer.alloc(size);
  for (let pos = 0; pos < size; pos += step) {
    const n = await pf.read(out.subarray(pos), pos, Math.min(step, size - pos));
    assert.equal(n, Math.min(step, size - pos));
  }
  return out;
}

test('sequential reading returns the bytes, with a window that grows into parallel ranged requests', async () => {
  const c = memoryContent(DATA);
  const pf = new Prefetcher(DATA.length, deps(c, new BufferPool(64 * MiB)), new MemoryBudget(512 * MiB));
  const got = await readAll(pf, DATA.length);
  assert.ok(got.equals(DATA));
  const rs = c.requests;
  assert.equal(rs[0]![0], 0);
  assert.equal(rs[0]![1] - rs[0]![0], DEFAULT_PREFETCH.initialWindow, 'the first request is not small');
  assert.ok(Math.max(...rs.map(([a, b]) => b - a)) > DEFAULT_PREFETCH.initialWindow, 'requests never grew');
  // 320 reads of 128 KiB; while the window grows it is split into maxParallel ranges (24), so
  // ~35 requests: far fewer than one per read, and the bound fails if ranges stop growing.
  assert.ok(rs.length < 40, `${rs.length} requests for 40 MiB`);
  // No byte was fetched twice.
  const covered = rs.reduce((n, [a, b]) => n + (b - a), 0);
  assert.equal(covered, DATA.length);
  pf.close();
});

test('the window doubles as the reader consumes half of it: request sizes grow by doubling up to the cap', async () => {
  const c = memoryContent(DATA);
  const opts = { ...DEFAULT_PREFETCH, maxParallel: 1, maxRequest: 8 * MiB };
  const pf = new Prefetcher(DATA.length, deps(c), new MemoryBudget(512 * MiB), opts);
  await readAll(pf, DATA.length);
  const sizes = c.requests.map(([a, b]) => b - a);
  // With one range per window, each request is the window at the time: never shrinking until the file ends.
  for (let i = 1; i < sizes.length - 1; i++) assert.ok(sizes[i]! >= sizes[i - 1]!, `sizes shrank: ${sizes.map((s) => s / MiB)}`);
  assert.equal(sizes[0], DEFAULT_PREFETCH.initialWindow);
  // Every request but the file's tail is the first window times a power of two.
  for (const sz of sizes.slice(0, -1)) assert.ok(Number.isInteger(Math.log2(sz / DEFAULT_PREFETCH.initialWindow)), `not a doubling: ${sizes.map((s) => s / MiB)}`);
  assert.ok(sizes[1]! > sizes[0]! && sizes.includes(8 * MiB), `no growth to the cap: ${sizes.map((s) => s / MiB)}`);
  assert.ok(Math.max(...sizes) <= 8 * MiB);
  pf.close();
});

test('a seek costs one small request at the new place', async () => {
  const c = memoryContent(DATA);
  const pf = new Prefetcher(DATA.length, deps(c), new MemoryBudget(512 * MiB));
  const buf = Buffer.alloc(65536);
  await pf.read(buf, 0, 65536);
  const before = c.requests.length;
  const seeksBefore = pf.seeks;
  const at = DATA.length - 100_000;
  assert.equal(await pf.read(buf, at, 65536), 65536);
  assert.ok(buf.equals(DATA.subarray(at, at + 65536)));
  const after = c.requests.slice(before);
  assert.equal(after.length, 1, JSON.stringify(after));
  assert.equal(after[0]![0], at);
  assert.ok(after[0]![1] - after[0]![0] <= DEFAULT_PREFETCH.initialWindow);
  assert.equal(pf.seeks, seeksBefore + 1);
  // Reading past the end returns 0.
  assert.equal(await pf.read(buf, DATA.length, 100), 0);
  pf.close();
});

test('a range cut mid-way is asked for again from the byte reached, never from its start', async () => {
  const c = memoryContent(DATA, (n) => (n === 1 ? { cutAfter: 300_000 } : undefined));
  const pf = new Prefetcher(8 * MiB, deps(c), new MemoryBudget(512 * MiB), { ...DEFAULT_PREFETCH, maxParallel: 1 });
  const got = await readAll(pf, 8 * MiB);
  assert.ok(got.equals(DATA.subarray(0, 8 * MiB)));
  assert.deepEqual(c.requests[1], [300_000, DEFAULT_PREFETCH.initialWindow]);
  // Asked for: the file, plus the part of the first range the cut never delivered.
  const asked = c.requests.reduce((n, [a, b]) => n + (b - a), 0);
  assert.equal(asked, 8 * MiB + (DEFAULT_PREFETCH.initialWindow - 300_000), 'bytes were fetched twice');
  pf.close();
});

test('a range that keeps failing fails its read; the next read tries again and succeeds', async () => {
  // Requests 1-3 fail with no byte: the range gives up (EIO) after its bounded restarts.
  const c = memoryContent(DATA, (n): ContentFault | undefined => (n <= 3 ? { fail: true } : undefined));
  const pf = new Prefetcher(4 * MiB, deps(c), new MemoryBudget(512 * MiB));
  const buf = Buffer.alloc(65536);
  await assert.rejects(pf.read(buf, 0, 65536), (e: Error & { code?: string }) => e.code === 'EIO');
  const failedAfter = c.requests.length;
  assert.equal(await pf.read(buf, 0, 65536), 65536);
  assert.ok(buf.equals(DATA.subarray(0, 65536)));
  assert.ok(c.requests.length > failedAfter, 'the failed range was not asked for again');
  assert.equal(c.requests[failedAfter]![0], 0);
  pf.close();
});

test('a file shorter than listed: reads end where it ends, with no error', async () => {
  const real = DATA.subarray(0, 3 * MiB + 1000);
  const c = memoryContent(real);
  const pf = new Prefetcher(8 * MiB, deps(c), new MemoryBudget(512 * MiB));
  const out = Buffer.alloc(8 * MiB);
  let pos = 0;
  for (;;) {
    const n = await pf.read(out.subarray(pos), pos, 128 * 1024);
    if (n === 0) break;
    pos += n;
  }
  assert.equal(pos, real.length);
  assert.ok(out.subarray(0, pos).equals(real));
  pf.close();
});

test('read-ahead stays within the shared memory budget', async () => {
  const c = memoryContent(DATA);
  const budget = new MemoryBudget(6 * MiB);
  const pf = new Prefetcher(DATA.length, deps(c), budget);
  const got = await readAll(pf, DATA.length);
  assert.ok(got.equals(DATA));
  // Only bytes a read waits on may exceed the budget, by at most one request.
  assert.ok(budget.peak <= 6 * MiB + DEFAULT_PREFETCH.maxRequest, `peak ${budget.peak}`);
  pf.close();
  assert.equal(budget.inUse, 0);
});

test('reads out of order, repeated, or just behind the start of the stream fetch no byte twice', async () => {
  const c = memoryContent(DATA);
  const size = 24 * MiB;
  const pf = new Prefetcher(size, deps(c), new MemoryBudget(512 * MiB));
  const got = Buffer.alloc(size);
  const step = 128 * 1024;
  // The kernel's read-ahead: block 10 arrives first, then 0..9, each block but the first read
  // again right after its successor (a repeat inside a range must not count as new bytes).
  await pf.read(got.subarray(10 * step), 10 * step, step);
  for (let i = 0; i < 10; i++) {
    await pf.read(got.subarray(i * step), i * step, step);
    if (i > 0 && i < 6) await pf.read(got.subarray((i - 1) * step), (i - 1) * step, step);
  }
  for (let pos = 11 * step; pos < size; pos += step) await pf.read(got.subarray(pos), pos, step);
  assert.ok(got.equals(DATA.subarray(0, size)));
  const fetched = c.requests.reduce((n, [a, b]) => n + (b - a), 0);
  assert.equal(fetched, size, `fetched ${fetched} bytes for a ${size}-byte file: ${JSON.stringify(c.requests.map(([a, b]) => [a / 1024, b / 1024]))}`);
  assert.equal(pf.seeks, 1, 'out-of-order reads were taken for seeks (the first read is the one seek)');
  pf.close();
});

test('closing during a read fails that read and gives its memory back', async () => {
  const c = memoryContent(DATA, () => ({ failLate: 200 })); // answers late, as a slow service
  const budget = new MemoryBudget(512 * MiB);
  const pf = new Prefetcher(8 * MiB, deps(c), budget);
  const reading = pf.read(Buffer.alloc(65536), 0, 65536);
  pf.close();
  await assert.rejects(reading);
  assert.equal(budget.inUse, 0);
});

test('closing releases every buffer, read or not, and its budget', async () => {
  const c = memoryContent(DATA);
  const budget = new MemoryBudget(512 * MiB);
  const pf = new Prefetcher(DATA.length, deps(c), budget);
  await readAll(pf, 8 * MiB);
  assert.ok(budget.inUse > 0, 'nothing was read ahead');
  pf.close();
  assert.equal(budget.inUse, 0);
  await assert.rejects(pf.read(Buffer.alloc(10), 0, 10), (e: Error & { code?: string }) => e.code === 'EBADF');
});

test('a refusal from the content source (not a cut) fails the read at once, without asking again', async () => {
  const requests: number[] = [];
  const refusing = async function* (start: number): AsyncGenerator<Buffer> {
    requests.push(start);
    throw new DriveError('EACCES', 'the service refuses this download');
  };
  const pf = new Prefetcher(4 * MiB, { content: refusing, log: silentLogger, path: '/f' }, new MemoryBudget(512 * MiB));
  await assert.rejects(pf.read(Buffer.alloc(65536), 0, 65536), (e: Error & { code?: string }) => e.code === 'EACCES');
  assert.deepEqual(requests, [0]);
  pf.close();
});
