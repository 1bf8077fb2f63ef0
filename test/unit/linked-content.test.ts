import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HttpClient } from '../../src/http/client.js';
import { LinkedContent } from '../../src/drives/content/linked-content.js';
import { LinkCache, MAX_CACHED_LINKS } from '../../src/drives/content/link-cache.js';
import type { RemoteEntry } from '../../src/drives/types.js';
import { silentLogger } from '../../src/util/log.js';
import { tinyServer, rangeHandler } from '../helpers/tiny-server.js';

const MiB = 1 << 20;
const DATA = randomBytes(4 * MiB);
const ENTRY: RemoteEntry = { id: 'f1', name: 'f', isDir: false, size: DATA.length, mtimeMs: 0, birthtimeMs: 0 };

function ranges(s: { requests: { headers: { range?: string } }[] }) {
  return s.requests.map((r) => {
    const m = /bytes=(\d+)-(\d+)/.exec(r.headers.range ?? '')!;
    return [Number(m[1]), Number(m[2]) + 1] as const;
  });
}

/** A LinkedContent whose links are `${url}/f?v=N`, N counting resolutions. */
function content(url: string, http: HttpClient, extra: { busyCodes?: string[]; maxConcurrentDownloads?: number } = {}) {
  const r = { resolved: 0 };
  const c = new LinkedContent({
    http,
    log: silentLogger,
    resolve: async () => {
      const v = r.resolved++;
      await new Promise((ok) => setTimeout(ok, 5)); // an API call takes a while: parallel askers overlap
      return { url: `${url}/f?v=${v}`, expiresAt: Date.now() + 60_000 };
    },
    ...extra,
  });
  return { c, r };
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

test('a body cut mid-way resumes from the byte reached; a refused link is re-resolved', async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (req, res, n) => {
      if (n === 1) {
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
  const { c, r } = content(s.url, http);
  try {
    const got = await collect(c.readRange('/f', ENTRY, 0, 2 * MiB));
    assert.ok(got.equals(DATA.subarray(0, 2 * MiB)));
    const rs = ranges(s);
    assert.ok(rs[1]![0] >= 300_000 - 65536 && rs[1]![0] > 0, `resumed at ${rs[1]![0]}`);
    assert.equal(r.resolved, 2, 'the refused link was not re-resolved once');
    assert.ok(/v=1/.test(s.requests[2]!.url!), 'the refused link was used again');
  } finally {
    await http.close();
    await s.close();
  }
});

test('an answer that is not the requested range (204, a redirect, other bytes) is retried, never taken for end of file', async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (_req, res, n) => {
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
  const { c } = content(s.url, http);
  try {
    const got = await collect(c.readRange('/f', ENTRY, 0, 131072));
    assert.ok(got.equals(DATA.subarray(0, 131072)));
  } finally {
    await http.close();
    await s.close();
  }
});

test('parallel ranges on an expired link re-resolve it once', async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (req, res) => {
      if (/v=0/.test(req.url!)) {
        res.writeHead(401).end();
        return true;
      }
      return false;
    }),
  );
  const http = new HttpClient();
  const { c, r } = content(s.url, http);
  try {
    const parts = await Promise.all([0, 1, 2, 3].map((i) => collect(c.readRange('/f', ENTRY, i * MiB, (i + 1) * MiB))));
    assert.ok(Buffer.concat(parts).equals(DATA));
    assert.equal(r.resolved, 2, 'one first resolution, one re-resolution for all four ranges');
  } finally {
    await http.close();
    await s.close();
  }
});

test('a busy refusal waits and tries again with the same link', async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (_req, res, n) => {
      if (n <= 2) {
        res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>ExceedMaxConcurrency</Code></Error>');
        return true;
      }
      return false;
    }),
  );
  const http = new HttpClient();
  const { c, r } = content(s.url, http, { busyCodes: ['ExceedMaxConcurrency'] });
  try {
    const got = await collect(c.readRange('/f', ENTRY, 0, 65536));
    assert.ok(got.equals(DATA.subarray(0, 65536)));
    assert.equal(r.resolved, 1, 'a busy answer re-resolved the link');
    assert.equal(s.requests.length, 3);
    assert.ok(s.requests.every((q) => /v=0/.test(q.url!)));
  } finally {
    await http.close();
    await s.close();
  }
});

test('416 (the file is shorter than listed) ends the range early, without error', async () => {
  const short = DATA.subarray(0, 1000);
  const s = await tinyServer(rangeHandler(short));
  const http = new HttpClient();
  const { c } = content(s.url, http);
  try {
    assert.ok((await collect(c.readRange('/f', ENTRY, 0, 65536))).equals(short));
    assert.equal((await collect(c.readRange('/f', ENTRY, 5000, 65536))).length, 0);
  } finally {
    await http.close();
    await s.close();
  }
});

test('download slots: no more ranges in flight than the cap, the rest wait', async () => {
  let inFlight = 0;
  let peak = 0;
  const s = await tinyServer((req, res, n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    setTimeout(() => {
      inFlight--;
      rangeHandler(DATA)(req, res, n);
    }, 30);
  });
  const http = new HttpClient();
  const { c } = content(s.url, http, { maxConcurrentDownloads: 2 });
  try {
    const parts = await Promise.all([0, 1, 2, 3].map((i) => collect(c.readRange('/f', ENTRY, i * MiB, (i + 1) * MiB))));
    assert.ok(Buffer.concat(parts).equals(DATA));
    assert.equal(peak, 2);
  } finally {
    await http.close();
    await s.close();
  }
});

test('forget(id) drops a cached link: the next range resolves a fresh one', async () => {
  const s = await tinyServer(rangeHandler(DATA));
  const http = new HttpClient();
  const { c, r } = content(s.url, http);
  try {
    await collect(c.readRange('/f', ENTRY, 0, 10));
    await collect(c.readRange('/f', ENTRY, 0, 10));
    assert.equal(r.resolved, 1);
    c.forget(ENTRY.id);
    await collect(c.readRange('/f', ENTRY, 0, 10));
    assert.equal(r.resolved, 2);
  } finally {
    await http.close();
    await s.close();
  }
});

test('a link still being resolved when its item is forgotten is never used after the forget', async () => {
  const answers: ((l: { url: string; expiresAt: number }) => void)[] = [];
  const cache = new LinkCache(() => new Promise((ok) => answers.push(ok)));
  const pending = cache.get('/f', ENTRY);
  await new Promise((ok) => setImmediate(ok));
  cache.forget(ENTRY.id); // the file was uploaded over while its link was asked for
  answers.shift()!({ url: 'old', expiresAt: Date.now() + 60_000 });
  await new Promise((ok) => setImmediate(ok));
  assert.equal(answers.length, 1, 'the stale answer was not followed by a fresh resolution');
  answers.shift()!({ url: 'new', expiresAt: Date.now() + 60_000 });
  assert.equal((await pending).url, 'new');
  assert.equal((await cache.get('/f', ENTRY)).url, 'new', 'the stale link was cached');
});

test('a link that came with a listing is not used once its item was forgotten; one asked for after is', async () => {
  let resolved = 0;
  const cache = new LinkCache(async () => ({ url: `fresh${resolved++}`, expiresAt: Date.now() + 60_000 }));
  const listedBefore: RemoteEntry = { ...ENTRY, link: { url: 'listed-before', expiresAt: Date.now() + 60_000 } };
  assert.equal((await cache.get('/f', listedBefore)).url, 'listed-before', 'a listing link of an unchanged item is used');
  const since = cache.now();
  const sentBefore = cache.stamp({ url: 'listing-sent-before', expiresAt: Date.now() + 60_000 }, since);
  cache.forget(ENTRY.id);
  assert.equal((await cache.get('/f', listedBefore)).url, 'fresh0');
  cache.forget(ENTRY.id);
  assert.equal((await cache.get('/f', { ...ENTRY, link: sentBefore })).url, 'fresh1');
  cache.forget(ENTRY.id);
  const sentAfter = cache.stamp({ url: 'listing-sent-after', expiresAt: Date.now() + 60_000 }, cache.now());
  assert.equal((await cache.get('/f', { ...ENTRY, link: sentAfter })).url, 'listing-sent-after');
  assert.equal(resolved, 2);
});

test('the link cache is bounded: reading many files keeps at most MAX_CACHED_LINKS, an evicted one is resolved again', async () => {
  const resolvedFor: string[] = [];
  const cache = new LinkCache(async (_p, e) => {
    resolvedFor.push(e.id);
    return { url: `u-${e.id}`, expiresAt: Date.now() + 60_000 };
  });
  const n = MAX_CACHED_LINKS + 500;
  for (let i = 0; i < n; i++) await cache.get(`/f${i}`, { ...ENTRY, id: `id${i}` });
  assert.ok(cache.size <= MAX_CACHED_LINKS, `${cache.size} links kept`);
  assert.equal((await cache.get('/f0', { ...ENTRY, id: 'id0' })).url, 'u-id0');
  assert.equal(resolvedFor.length, n + 1, 'the evicted link was not resolved again');
  // Forget records are bounded too, and dropping one is stricter, never laxer.
  for (let i = 0; i < 20_000; i++) cache.forget(`gone${i}`);
  const listed = { ...ENTRY, id: 'gone0', link: { url: 'listed-before-forget', expiresAt: Date.now() + 60_000 } };
  assert.equal((await cache.get('/g', listed)).url, 'u-gone0');
});

test("a link's own headers (a Referer the storage host requires) go out with every ranged GET, Range still the driver's", async () => {
  const s = await tinyServer(
    rangeHandler(DATA, (req, res) => {
      if (req.headers.referer !== 'https://example.test/') {
        res.writeHead(403).end();
        return true;
      }
      return false;
    }),
  );
  const http = new HttpClient();
  try {
    const c = new LinkedContent({
      http,
      log: silentLogger,
      // The link also names a range of its own: the one asked for must win.
      resolve: async () => ({ url: `${s.url}/f`, expiresAt: Date.now() + 60_000, headers: { referer: 'https://example.test/', range: 'bytes=0-0' } }),
    });
    const got = await collect(c.readRange('/f', ENTRY, 100, 2 * MiB));
    assert.ok(got.equals(DATA.subarray(100, 2 * MiB)));
    assert.ok(s.requests.length >= 1);
    for (const r of s.requests) assert.equal(r.headers.referer, 'https://example.test/');
    assert.deepEqual(ranges(s)[0], [100, 2 * MiB]);
  } finally {
    await http.close();
    await s.close();
  }
});
