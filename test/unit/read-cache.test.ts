import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../src/util/log.js';
import type { MemoryDrive } from '../../src/drives/memory/memory-drive.js';
import { ReadCache } from '../../src/vfs/read-cache/read-cache.js';
import { DEFAULT_VFS_OPTIONS, Vfs } from '../../src/vfs/vfs.js';
import { errno, vfsOn } from './vfs-fixture.js';

const MiB = 1 << 20;

/** Bytes the drive sent, counted at readRange. */
function countBytes(d: MemoryDrive): { bytes: number } {
  const c = { bytes: 0 };
  const orig = d.readRange.bind(d);
  d.readRange = async function* (...a: Parameters<MemoryDrive['readRange']>) {
    for await (const b of orig(...a)) {
      c.bytes += b.length;
      yield b;
    }
  };
  return c;
}

async function readAll(vfs: Vfs, path: string, step = 128 << 10): Promise<Buffer> {
  const fh = await vfs.open(path, { write: false, truncate: false });
  try {
    const out: Buffer[] = [];
    for (let pos = 0; ; ) {
      const b = Buffer.alloc(step);
      const n = await vfs.read(fh, b, step, pos);
      if (n === 0) break;
      out.push(b.subarray(0, n));
      pos += n;
    }
    return Buffer.concat(out);
  } finally {
    await vfs.release(fh);
  }
}

async function withCache<T>(dir: string, fn: (c: ReadCache) => Promise<T>, maxBytes = 1 << 30): Promise<T> {
  return fn(await ReadCache.open({ dir, maxBytes, minFreeBytes: 0 }, silentLogger));
}

const tmp = () => mkdtempSync(join(tmpdir(), 'read-cache-'));

test('a re-read of a cached file costs no byte from the drive and gives the same bytes', async () => {
  const data = randomBytes(3 * MiB + 17);
  await withCache(tmp(), async (readCache) => {
    const f = await vfsOn((d) => d.put('/a.bin', data), { readCache, dirCacheTtlMs: 0 });
    const sent = countBytes(f.drive);
    assert.ok((await readAll(f.vfs, '/a.bin')).equals(data));
    assert.equal(sent.bytes, data.length);
    sent.bytes = 0;
    assert.ok((await readAll(f.vfs, '/a.bin')).equals(data));
    assert.equal(sent.bytes, 0);
    await f.close();
  });
});

test('a file changed on the service is read anew, never from the old cached bytes', async () => {
  await withCache(tmp(), async (readCache) => {
    const f = await vfsOn((d) => d.put('/a.bin', 'old bytes'), { readCache, dirCacheTtlMs: 0 });
    assert.equal((await readAll(f.vfs, '/a.bin')).toString(), 'old bytes');
    f.drive.put('/a.bin', 'new bytes');
    assert.equal((await readAll(f.vfs, '/a.bin')).toString(), 'new bytes');
    await f.close();
  });
});

test('the cache survives a restart: the index is read back at open', async () => {
  const dir = tmp();
  const data = randomBytes(2 * MiB);
  const f = await vfsOn((d) => d.put('/a.bin', data), { readCache: await ReadCache.open({ dir, maxBytes: 1 << 30, minFreeBytes: 0 }, silentLogger) });
  await readAll(f.vfs, '/a.bin');
  await f.close(); // closes the cache, which writes its index
  const again = await ReadCache.open({ dir, maxBytes: 1 << 30, minFreeBytes: 0 }, silentLogger);
  assert.equal(again.heldBytes(), data.length);
  const sent = countBytes(f.drive);
  const vfs = new Vfs(f.drive, silentLogger, { ...DEFAULT_VFS_OPTIONS, cacheDir: tmp(), readCache: again });
  assert.ok((await readAll(vfs, '/a.bin')).equals(data));
  assert.equal(sent.bytes, 0);
  await vfs.close();
});

test('the size limit evicts the least recently used file', async () => {
  const a = randomBytes(2 * MiB);
  const b = randomBytes(2 * MiB);
  await withCache(tmp(), async (readCache) => {
    const f = await vfsOn((d) => (d.put('/a.bin', a), d.put('/b.bin', b)), { readCache });
    const sent = countBytes(f.drive);
    await readAll(f.vfs, '/a.bin');
    await readAll(f.vfs, '/b.bin');
    await readCache.evict();
    assert.ok(readCache.heldBytes() <= 3 * MiB, `held ${readCache.heldBytes()}`);
    sent.bytes = 0;
    await readAll(f.vfs, '/b.bin');
    assert.equal(sent.bytes, 0, 'the most recent file stays');
    assert.ok((await readAll(f.vfs, '/a.bin')).equals(a));
    assert.equal(sent.bytes, a.length, 'the evicted file is fetched again');
    await f.close();
  }, 3 * MiB);
});

test('cached bytes flipped on disk fail the hash check (EIO), and the next read fetches them again', async () => {
  const dir = tmp();
  const data = randomBytes(MiB + 5);
  await withCache(dir, async (readCache) => {
    const f = await vfsOn((d) => d.put('/a.bin', data), { readCache });
    await readAll(f.vfs, '/a.bin');
    const [file] = (await fs.readdir(dir)).filter((n) => n.endsWith('.data'));
    const fh = await fs.open(join(dir, file!), 'r+');
    await fh.write(Buffer.from([data[1000]! ^ 0xff]), 0, 1, 1000);
    await fh.close();
    await assert.rejects(readAll(f.vfs, '/a.bin'), errno('EIO'));
    const sent = countBytes(f.drive);
    assert.ok((await readAll(f.vfs, '/a.bin')).equals(data));
    assert.equal(sent.bytes, data.length);
    await f.close();
  });
});

test('two readers of one file at once share one fetch', async () => {
  const data = randomBytes(4 * MiB);
  await withCache(tmp(), async (readCache) => {
    const f = await vfsOn((d) => d.put('/a.bin', data), { readCache });
    const sent = countBytes(f.drive);
    const [x, y] = await Promise.all([readAll(f.vfs, '/a.bin'), readAll(f.vfs, '/a.bin')]);
    assert.ok(x.equals(data) && y.equals(data));
    assert.equal(sent.bytes, data.length);
    await f.close();
  });
});

test('a write through the mount drops the cached copy', async () => {
  await withCache(tmp(), async (readCache) => {
    const f = await vfsOn((d) => d.put('/a.txt', 'first'), { readCache });
    await readAll(f.vfs, '/a.txt');
    assert.equal(readCache.heldBytes(), 5);
    const fh = await f.vfs.open('/a.txt', { write: true, truncate: true });
    await f.vfs.write(fh, Buffer.from('second'), 6, 0);
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    assert.equal(readCache.heldBytes(), 0);
    assert.equal((await readAll(f.vfs, '/a.txt')).toString(), 'second');
    await f.close();
  });
});

test('a file larger than the size limit is read whole while the cache keeps within the limit', async () => {
  const big = randomBytes(5 * MiB);
  await withCache(tmp(), async (readCache) => {
    const f = await vfsOn((d) => d.put('/big.bin', big), { readCache });
    assert.ok((await readAll(f.vfs, '/big.bin')).equals(big));
    assert.ok(readCache.heldBytes() > 0 && readCache.heldBytes() <= 2 * MiB, `held ${readCache.heldBytes()}`);
    await f.close();
  }, 2 * MiB);
});
