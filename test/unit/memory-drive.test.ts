import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryDrive } from '../../src/drives/memory/memory-drive.js';
import type { UploadSource } from '../../src/drives/types.js';
import { DriveError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { DEFAULT_VFS_OPTIONS, Vfs } from '../../src/vfs/vfs.js';

const code = (c: string) => (e: unknown) => e instanceof DriveError && e.code === c;
const src = (b: Buffer): UploadSource => ({ size: b.length, read: async (o, l) => b.subarray(o, o + l) });

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

test('memory drive: names are exact, taken names refuse unless replaced, POSIX errors', async () => {
  const d = new MemoryDrive();
  const w = d.writer;
  const a = d.put('/dir/a.txt', 'hello');
  await assert.rejects(d.stat('/dir/A.txt'), code('ENOENT'));
  await assert.rejects(d.stat('/dir/a.txt/x'), code('ENOTDIR'));
  await assert.rejects(w.mkdir('/dir'), code('EEXIST'));
  await assert.rejects(w.upload('/dir/a.txt', src(Buffer.from('x')), {}), code('EEXIST'));
  const b = await w.upload('/dir/a.txt', src(Buffer.from('bye')), { replaces: a });
  assert.equal(b.id, a.id);
  assert.equal(d.content('/dir/a.txt')!.toString(), 'bye');
  const dirEntry = await d.stat('/dir');
  await assert.rejects(w.remove('/dir', dirEntry), code('ENOTEMPTY'));
  await w.mkdir('/other');
  await assert.rejects(w.move('/dir/a.txt', b, '/other', {}), code('EEXIST'));
  await assert.rejects(w.move('/dir', dirEntry, '/dir/sub', {}), code('EINVAL'));
  const moved = await w.move('/dir/a.txt', b, '/other/b.txt', {});
  assert.deepEqual((await d.list('/other')).map((e) => e.name), ['b.txt']);
  assert.deepEqual(await d.list('/dir'), []);
  await w.remove('/other/b.txt', moved);
  await assert.rejects(d.stat('/other/b.txt'), code('ENOENT'));
  assert.equal(d.calls.move, 3);
});

test('memory drive: injected failures, and reads cut after K bytes throw EIO after yielding them', async () => {
  const d = new MemoryDrive();
  const data = randomBytes(300_000);
  const e = d.put('/f', data);
  d.failAt('stat', 2);
  await d.stat('/f');
  await assert.rejects(d.stat('/f'), code('EIO'));
  await d.stat('/f');
  d.cutReadAt(2, 100_000);
  assert.ok((await collect(d.readRange('/f', e, 0, data.length))).equals(data));
  const got: Buffer[] = [];
  await assert.rejects(async () => {
    for await (const p of d.readRange('/f', e, 0, data.length)) got.push(p);
  }, code('EIO'));
  assert.ok(Buffer.concat(got).equals(data.subarray(0, 100_000)));
  assert.equal(d.calls.readRange, 2);
  assert.deepEqual(await d.quota(), { total: 2 ** 40, used: data.length, free: (2 ** 40) - data.length });
});

test('a Vfs on the memory drive reads a file whose range is cut, resuming from the byte reached', async () => {
  const d = new MemoryDrive();
  const data = randomBytes(3 << 20);
  d.put('/big.bin', data);
  d.cutReadAt(1, 200_000);
  const vfs = new Vfs(d, silentLogger, DEFAULT_VFS_OPTIONS);
  const fh = await vfs.open('/big.bin', { write: false, truncate: false });
  const out = Buffer.alloc(data.length);
  for (let pos = 0; pos < data.length; ) {
    const n = await vfs.read(fh, out.subarray(pos), 128 * 1024, pos);
    assert.ok(n > 0);
    pos += n;
  }
  assert.ok(out.equals(data));
  await vfs.release(fh);
  await vfs.close();
});
