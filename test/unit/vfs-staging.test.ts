import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DriveError } from '../../src/util/errors.js';
import { errno, get, put, vfsOn } from './vfs-fixture.js';

const W = { write: true, truncate: false };
const WT = { write: true, truncate: true };
const R = { write: false, truncate: false };

test('create + write + flush: the drive holds the bytes after one upload; release uploads nothing more and drops the staging file', async () => {
  const f = await vfsOn();
  const fh = await f.vfs.create('/new.txt');
  await put(f.vfs, fh, 'hello, drive');
  assert.equal(f.count('upload'), 0);
  assert.equal((await f.staged()).length, 1);
  await f.vfs.flush(fh);
  assert.equal(f.drive.content('/new.txt')?.toString(), 'hello, drive');
  assert.equal(f.count('upload'), 1);
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 1);
  assert.equal(f.count('readRange'), 0);
  assert.deepEqual(await f.staged(), []);
  assert.equal((await f.vfs.getattr('/new.txt')).size, 12);
  await assert.rejects(f.vfs.create('/new.txt'), errno('EEXIST'));
  await f.close();
});

test('open for writing and release without a write: no upload, and the old content is not even fetched', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'unchanged'));
  const fh = await f.vfs.open('/a.txt', W);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 0);
  assert.equal(f.count('readRange'), 0);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'unchanged');
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('open O_TRUNC of an existing file and close without writing: the drive holds an empty file (same item)', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'old content'));
  const before = await f.drive.stat('/a.txt');
  const fh = await f.vfs.open('/a.txt', WT);
  assert.equal((await f.vfs.getattr('/a.txt')).size, 0);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.drive.content('/a.txt')?.length, 0);
  assert.equal((await f.drive.stat('/a.txt')).id, before.id);
  assert.equal(f.count('upload'), 1);
  assert.equal(f.count('readRange'), 0);
  await f.close();
});

test('a write at an offset without O_TRUNC is read-modify-write: one ranged read at the first write, merged content uploaded', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'hello world'));
  const fh = await f.vfs.open('/a.txt', W);
  assert.equal(f.count('readRange'), 0); // opening fetches nothing
  await put(f.vfs, fh, 'XY', 3);
  assert.equal(f.count('readRange'), 1);
  await put(f.vfs, fh, '!!', 11); // appending reuses the fetched copy
  assert.equal(await get(f.vfs, fh), 'helXY world!!');
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'helXY world!!');
  assert.equal(f.count('readRange'), 1);
  assert.equal(f.count('upload'), 1);
  await f.close();
});

test('truncate to a non-zero size keeps the prefix (ftruncate on a handle, and truncate by path committing at once)', async () => {
  const f = await vfsOn((d) => {
    d.put('/a.txt', 'hello world');
    d.put('/b.txt', 'goodbye world');
  });
  const fh = await f.vfs.open('/a.txt', W);
  await f.vfs.ftruncate(fh, 5);
  assert.equal(f.count('readRange'), 1);
  assert.equal((await f.vfs.getattr('/a.txt')).size, 5);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'hello');

  await f.vfs.truncate('/b.txt', 7);
  assert.equal(f.drive.content('/b.txt')?.toString(), 'goodbye');
  assert.equal(f.count('readRange'), 2);
  assert.equal(f.count('upload'), 2);
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('read-your-writes: a second handle on the path reads bytes written through the first before any flush', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'remote'));
  const w = await f.vfs.open('/a.txt', WT);
  await put(f.vfs, w, 'local bytes');
  const r = await f.vfs.open('/a.txt', R);
  assert.equal(await get(f.vfs, r), 'local bytes');
  await put(f.vfs, w, 'L', 0);
  assert.equal(await get(f.vfs, r), 'Local bytes');
  assert.equal(f.count('upload'), 0);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'remote');
  await f.vfs.release(r); // not the last handle: nothing committed yet
  assert.equal(f.count('upload'), 0);
  await f.vfs.flush(w);
  await f.vfs.release(w);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'Local bytes');
  assert.equal(f.count('upload'), 1);
  await f.close();
});

test('getattr while open shows the local size; after release, the committed size', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', '12345'));
  const fh = await f.vfs.open('/a.txt', W);
  assert.equal((await f.vfs.getattr('/a.txt')).size, 5);
  await put(f.vfs, fh, 'abcdefgh', 5);
  assert.equal((await f.vfs.getattr('/a.txt')).size, 13);
  assert.equal((await f.drive.stat('/a.txt')).size, 5);
  await f.vfs.release(fh); // a close that skipped flush still commits
  const committed = await f.drive.stat('/a.txt');
  assert.equal(committed.size, 13);
  const shown = await f.vfs.getattr('/a.txt');
  assert.equal(shown.size, 13);
  assert.equal(shown.mtimeMs, committed.mtimeMs);
  assert.equal(f.count('upload'), 1);
  await f.close();
});

const full = () => new DriveError('ENOSPC', 'injected: the drive is full');

test('a failed upload: flush rejects ENOSPC, the staging file keeps the bytes, the remote is unchanged, one log line; flush again retries', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'old'));
  f.drive.failAt('upload', 1, full());
  const fh = await f.vfs.open('/a.txt', WT);
  await put(f.vfs, fh, 'new bytes');
  await assert.rejects(f.vfs.flush(fh), errno('ENOSPC'));
  assert.equal(f.drive.content('/a.txt')?.toString(), 'old');
  const [name, ...more] = await f.staged();
  assert.deepEqual(more, []);
  const kept = join(f.cacheDir, name!);
  assert.equal(readFileSync(kept, 'utf8'), 'new bytes');
  const errors = f.errors();
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.errno, 'ENOSPC');
  assert.equal(errors[0]!.kept, kept);
  assert.ok(errors[0]!.msg.includes(kept));

  // flush (close/fsync) asks again even with nothing new written
  await f.vfs.flush(fh);
  assert.equal(f.count('upload'), 2);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'new bytes');
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 2);
  assert.deepEqual(await f.staged(), []);
  assert.equal(f.errors().length, 1);
  await f.close();
});

test('a failed upload then release: no second attempt, the staging file stays, stat shows the remote as it was', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'old'));
  f.drive.failAt('upload', 1, full());
  const fh = await f.vfs.open('/a.txt', WT);
  await put(f.vfs, fh, 'new bytes');
  await assert.rejects(f.vfs.flush(fh), errno('ENOSPC'));
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 1);
  const names = await f.staged();
  assert.equal(names.length, 1);
  assert.equal(readFileSync(join(f.cacheDir, names[0]!), 'utf8'), 'new bytes');
  assert.equal(f.drive.content('/a.txt')?.toString(), 'old');
  assert.equal((await f.vfs.getattr('/a.txt')).size, 3);
  assert.equal(f.errors().length, 1);
  await f.close();
});

test('a failed upload of a new file: after release the name is gone again, its bytes stay staged', async () => {
  const f = await vfsOn();
  f.drive.failAt('upload', 1, full());
  const fh = await f.vfs.create('/n.txt');
  await put(f.vfs, fh, 'unsaved');
  await assert.rejects(f.vfs.flush(fh), errno('ENOSPC'));
  await f.vfs.release(fh);
  await assert.rejects(f.vfs.getattr('/n.txt'), errno('ENOENT'));
  assert.equal(f.drive.content('/n.txt'), undefined);
  assert.equal((await f.staged()).length, 1);
  assert.equal(f.count('upload'), 1);
  await f.close();
});

test('a write after a failed upload, then flush: uploaded with everything written', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'old'));
  f.drive.failAt('upload', 1, full());
  const fh = await f.vfs.open('/a.txt', WT);
  await put(f.vfs, fh, 'first');
  await assert.rejects(f.vfs.flush(fh), errno('ENOSPC'));
  await put(f.vfs, fh, ' second', 5);
  await f.vfs.flush(fh);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'first second');
  assert.equal(f.count('upload'), 2);
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 2);
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('utimens on an open dirty file goes with its upload (no setModified); on a clean open file it is one setModified', async () => {
  const t1 = Date.parse('2003-03-03T03:03:03.123Z');
  const t2 = Date.parse('2011-11-11T11:11:11.456Z');
  const f = await vfsOn((d) => d.put('/clean.txt', 'same'));
  const fh = await f.vfs.create('/dirty.txt');
  await put(f.vfs, fh, 'data');
  await f.vfs.utimens('/dirty.txt', t1);
  assert.equal((await f.vfs.getattr('/dirty.txt')).mtimeMs, t1);
  assert.equal(f.count('upload'), 0);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 1);
  assert.equal(f.count('setModified'), 0);
  assert.equal((await f.drive.stat('/dirty.txt')).mtimeMs, t1);

  const ch = await f.vfs.open('/clean.txt', W);
  await f.vfs.utimens('/clean.txt', t2);
  assert.equal(f.count('setModified'), 1);
  assert.equal((await f.drive.stat('/clean.txt')).mtimeMs, t2);
  await f.vfs.flush(ch);
  await f.vfs.release(ch);
  assert.equal(f.count('upload'), 1);
  assert.equal(f.count('setModified'), 1);
  assert.equal(f.drive.content('/clean.txt')?.toString(), 'same');
  assert.equal((await f.vfs.getattr('/clean.txt')).mtimeMs, t2);
  await f.close();
});
