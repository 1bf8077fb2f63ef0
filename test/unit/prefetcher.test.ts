import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HttpClient } from '../../src/http/client.js';
import { MemoryBudget } from '../../src/vfs/prefetch/memory-budget.js';
import { BufferPool } from '../../src/vfs/prefetch/buffer-pool.js';
import { Prefetcher, DEFAULT_PREFETCH } from '../../src/vfs/prefetch/prefetcher.js';
import type { LinkProvider } from '../../src/vfs/link-cache.js';
import { silentLogger } from '../../src/util/log.js';
import { tinyServer, rangeHandler } from '../helpers/tiny-server.js';

const MiB = 1 << 20;
const DATA = randomBytes(40 * MiB);

function ranges(s: { requests: { headers: { range?: string } }[] }) {
  return s.requests.map((r) => {
    const m = /bytes=(\d+)-(\d+)/.exec(r.headers.range ?? '')!;
    return [Number(m[1]), Number(m[2]) + 1] as const;
  });
}

function links(url: string): LinkProvider & { resolved: number; invalidated: number } {
  const p = {
    resolved: 0,
    invalidated: 0,
    version: 0,
    async get() {
      p.resolved++;
      return { url: `${url}/f?v=${p.version}`, expiresAt: Date.now() + 60_000 };
    },
    invalidate() {
      p.invalidated++;
      p.version++;
    },
  };
  return p;
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
  const s = await tinyServer(rangeHandler(DATA));
  const http = new HttpClient();
  try {
    const pf = new Prefetcher(DATA.length, { http, links: links(s.url), log: silentLogger, path: '/f', pool: new BufferPool(64 * MiB) }, new MemoryBudget(512 * MiB));
    const got = await readAll(pf, DATA.length);
    assert.ok(got.equals(DATA));
    const rs = ranges(s);
    assert.equal(rs[0]![0], 0);
    assert.equal(rs[0]![1] - rs[0]![0], DEFAULT_PREFETCH.initialWindow, 'the first request is not small');
    assert.ok(Math.max(...rs.map(([a, b]) => b - a)) > DEFAULT_PREFETCH.initialWindow, 'requests never grew');
    assert.ok(rs.length < 30, `${rs.length} requests for 40 MiB`);
    // No byte was fetched twice.
    const covered = rs.reduce((n, [a, b]) => n + (b - a), 0);
    assert.equal(covered, DATA.length);
    pf.close();
  } finally {
    await http.close();
    await s.close();
  }
});

test('a seek costs one small request at the new place', async () => {
  const s = await tinyServer(rangeHandler(DATA));
  const http = new HttpClient();
  try {
    const pf = new Prefetcher(DATA.length, { http, links: links(s.url), log: silentLogger, path: '/f' }, new MemoryBudget(512 * MiB));
    const buf = Buffer.alloc(65536);
    await pf.read(buf, 0, 65536);
    const before = s.requests.length;
    const at = DATA.length - 100_000;
    assert.equal(await pf.read(buf, at, 65536), 65536);
    assert.ok(buf.equals(DATA.subarray(at, at + 65536)));
    const after = ranges(s).slice(before);
    assert.equal(after.length, 1, JSON.stringify(after));
    assert.equal(after[0]![0], at);
    assert.ok(after[0]![1] - after[0]![0] <= DEFAULT_PREFETCH.initialWindow);
    // Reading past the end returns 0.
    assert.equal(await pf.read(buf, DATA.length, 100), 0);
    pf.close();
  } finally {
    await http.close();
    await s.close();
  }
});

test('a connection cut mid-body resumes from the byte reached; a refused link is re-resolved', async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (req, res, n) => {
      if (n === 1) {
        // Send part of the answer, then cut the connection.
        const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range!)!;
        const a = Number(m[1]);
        const b = Number(m[2]);
        res.writeHead(206, { 'content-length': b - a + 1, 'content-range': `bytes ${a}-${b}/${DATA.length}` });
        res.write(DATA.subarray(a, a + 300_000), () => res.socket?.destroy());
        return true;
      }
      if (n === 2) {
        res.writeHead(403).end(); // an expired pre-authenticated link
        return true;
      }
      return false;
    }),
  );
  const http = new HttpClient();
  const lp = links(s.url);
  try {
    const pf = new Prefetcher(8 * MiB, { http, links: lp, log: silentLogger, path: '/f' }, new MemoryBudget(512 * MiB), { ...DEFAULT_PREFETCH, maxParallel: 1 });
    const got = await readAll(pf, 8 * MiB);
    assert.ok(got.equals(DATA.subarray(0, 8 * MiB)));
    const rs = ranges(s);
    assert.ok(rs[1]![0] >= 300_000 - 65536 && rs[1]![0] > 0, `resumed at ${rs[1]![0]}`);
    assert.equal(lp.invalidated, 1);
    assert.ok(/v=1/.test(s.requests[2]!.url!), 'the refused link was used again');
    pf.close();
  } finally {
    await http.close();
    await s.close();
  }
});

test('read-ahead stays within the shared memory budget', async () => {
  const s = await tinyServer(rangeHandler(DATA));
  const http = new HttpClient();
  try {
    const budget = new MemoryBudget(6 * MiB);
    const pf = new Prefetcher(DATA.length, { http, links: links(s.url), log: silentLogger, path: '/f' }, budget);
    const got = await readAll(pf, DATA.length);
    assert.ok(got.equals(DATA));
    // Only bytes a read waits on may exceed the budget, by at most one request.
    assert.ok(budget.peak <= 6 * MiB + DEFAULT_PREFETCH.maxRequest, `peak ${budget.peak}`);
    pf.close();
    assert.equal(budget.inUse, 0);
  } finally {
    await http.close();
    await s.close();
  }
});

test('an answer that is not the requested range (204, a redirect, other bytes) is retried, never taken for end of file', async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (req, res, n) => {
      if (n === 1) {
        res.writeHead(204).end();
        return true;
      }
      if (n === 2) {
        res.writeHead(302, { location: '/elsewhere' }).end();
        return true;
      }
      if (n === 3) {
        res.writeHead(206, { 'content-range': `bytes 5-9/${DATA.length}`, 'content-length': 5 });
        res.end(DATA.subarray(5, 10));
        return true;
      }
      return false;
    }),
  );
  const http = new HttpClient();
  try {
    const pf = new Prefetcher(2 * MiB, { http, links: links(s.url), log: silentLogger, path: '/f' }, new MemoryBudget(512 * MiB));
    const buf = Buffer.alloc(131072);
    assert.equal(await pf.read(buf, 0, 131072), 131072);
    assert.ok(buf.equals(DATA.subarray(0, 131072)));
    pf.close();
  } finally {
    await http.close();
    await s.close();
  }
});

test('reads out of order, repeated, or just behind the start of the stream fetch no byte twice', async () => {
  const s = await tinyServer(rangeHandler(DATA));
  const http = new HttpClient();
  try {
    const size = 24 * MiB;
    const pf = new Prefetcher(size, { http, links: links(s.url), log: silentLogger, path: '/f' }, new MemoryBudget(512 * MiB));
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
    const fetched = ranges(s).reduce((n, [a, b]) => n + (b - a), 0);
    assert.equal(fetched, size, `fetched ${fetched} bytes for a ${size}-byte file: ${JSON.stringify(ranges(s).map(([a, b]) => [a / 1024, b / 1024]))}`);
    pf.close();
  } finally {
    await http.close();
    await s.close();
  }
});

test('closing during a read fails that read and gives its memory back', async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (_req, res) => {
      setTimeout(() => res.destroyed || res.writeHead(503).end(), 200); // answer late
      return true;
    }),
  );
  const http = new HttpClient({ maxRetries: 0 });
  try {
    const budget = new MemoryBudget(512 * MiB);
    const pf = new Prefetcher(8 * MiB, { http, links: links(s.url), log: silentLogger, path: '/f' }, budget);
    const reading = pf.read(Buffer.alloc(65536), 0, 65536);
    pf.close();
    await assert.rejects(reading);
    assert.equal(budget.inUse, 0);
  } finally {
    await http.close();
    await s.close();
  }
});
