import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { errno, get, put, vfsOn } from './vfs-fixture.js';

const W = { write: true, truncate: false };
const R = { write: false, truncate: false };

test('rename while open: the bytes land at the new name, nothing at the old; later writes follow the file', async () => {
  const f = await vfsOn();
  const fh = await f.vfs.create('/old.txt');
  await put(f.vfs, fh, 'moving');
  await f.vfs.rename('/old.txt', '/new.txt');
  await f.vfs.flush(fh);
  assert.equal(f.drive.content('/new.txt')?.toString(), 'moving');
  assert.equal(f.drive.content('/old.txt'), undefined);
  assert.equal(f.count('move'), 1);
  assert.equal(f.count('upload'), 1); // committed under the old name just before the move
  await assert.rejects(f.vfs.getattr('/old.txt'), errno('ENOENT'));
  assert.equal((await f.vfs.getattr('/new.txt')).size, 6);

  await put(f.vfs, fh, ' on', 6);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.drive.content('/new.txt')?.toString(), 'moving on');
  assert.equal(f.drive.content('/old.txt'), undefined);
  assert.equal(f.count('upload'), 2);
  assert.deepEqual((await f.drive.list('/')).map((e) => e.name), ['new.txt']);
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('rename onto an existing file replaces it: one entry, with the content of the source', async () => {
  const f = await vfsOn((d) => {
    d.put('/a.txt', 'source');
    d.put('/b.txt', 'target');
  });
  const src = await f.drive.stat('/a.txt');
  await f.vfs.rename('/a.txt', '/b.txt');
  assert.deepEqual((await f.drive.list('/')).map((e) => e.name), ['b.txt']);
  assert.equal(f.drive.content('/b.txt')?.toString(), 'source');
  assert.equal((await f.drive.stat('/b.txt')).id, src.id);
  assert.equal((await f.vfs.getattr('/b.txt')).size, 6);
  await assert.rejects(f.vfs.getattr('/a.txt'), errno('ENOENT'));
  assert.equal(f.count('move'), 1);
  await f.close();
});

test('rename of a folder onto an empty folder replaces it', async () => {
  const f = await vfsOn(async (d) => {
    d.put('/d1/x.txt', 'inside');
    await d.writer.mkdir('/d2');
  });
  await f.vfs.rename('/d1', '/d2');
  assert.equal(f.drive.content('/d2/x.txt')?.toString(), 'inside');
  assert.deepEqual((await f.drive.list('/')).map((e) => e.name), ['d2']);
  assert.deepEqual((await f.vfs.readdir('/d2')).names(), ['x.txt']);
  await assert.rejects(f.vfs.getattr('/d1'), errno('ENOENT'));
  assert.equal(f.count('move'), 1);
  await f.close();
});

test('rename refusals: onto a non-empty folder ENOTEMPTY, file onto folder EISDIR, folder onto file ENOTDIR, folder into itself EINVAL', async () => {
  const f = await vfsOn((d) => {
    d.put('/d1/x.txt', 'x');
    d.put('/d2/y.txt', 'y');
    d.put('/f.txt', 'f');
  });
  await assert.rejects(f.vfs.rename('/d1', '/d2'), errno('ENOTEMPTY'));
  await assert.rejects(f.vfs.rename('/f.txt', '/d1'), errno('EISDIR'));
  await assert.rejects(f.vfs.rename('/d1', '/f.txt'), errno('ENOTDIR'));
  assert.equal(f.count('move'), 0);
  const before = f.calls();
  await assert.rejects(f.vfs.rename('/d1', '/d1/sub'), errno('EINVAL'));
  assert.deepEqual(f.calls(), before); // refused before asking the drive anything
  assert.equal(f.drive.content('/d1/x.txt')?.toString(), 'x');
  assert.equal(f.drive.content('/d2/y.txt')?.toString(), 'y');
  assert.equal(f.drive.content('/f.txt')?.toString(), 'f');
  await f.close();
});

test('unlink of a new file while open: never uploaded (not at flush, not at release), the staging file is deleted at release', async () => {
  const f = await vfsOn();
  const fh = await f.vfs.create('/gone.txt');
  await put(f.vfs, fh, 'scratch');
  assert.equal((await f.staged()).length, 1);
  await f.vfs.unlink('/gone.txt');
  await assert.rejects(f.vfs.getattr('/gone.txt'), errno('ENOENT'));
  assert.equal(await get(f.vfs, fh), 'scratch'); // an unlinked open file still reads
  await put(f.vfs, fh, 'more', 7);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 0);
  assert.equal(f.count('remove'), 0); // nothing existed remotely
  assert.equal(f.drive.content('/gone.txt'), undefined);
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('unlink of a committed open file removes it remotely, and nothing is uploaded for it afterwards', async () => {
  const f = await vfsOn();
  const fh = await f.vfs.create('/c.txt');
  await put(f.vfs, fh, 'committed');
  await f.vfs.flush(fh);
  assert.equal(f.drive.content('/c.txt')?.toString(), 'committed');
  await put(f.vfs, fh, 'dirty again'); // changed after the commit
  await f.vfs.unlink('/c.txt');
  assert.equal(f.count('remove'), 1);
  assert.equal(f.drive.content('/c.txt'), undefined);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 1);
  assert.equal(f.drive.content('/c.txt'), undefined);
  assert.deepEqual(await f.staged(), []);
  await assert.rejects(f.vfs.getattr('/c.txt'), errno('ENOENT'));
  await f.close();
});

test('a cut read is resumed from the byte reached: the reader gets the right bytes, two ranged reads in all', async () => {
  const data = randomBytes(300_000);
  const f = await vfsOn((d) => d.put('/f.bin', data));
  f.drive.cutReadAt(1, 100_000);
  const fh = await f.vfs.open('/f.bin', R);
  const out = Buffer.alloc(data.length);
  assert.equal(await f.vfs.read(fh, out, data.length, 0), data.length);
  assert.ok(out.equals(data));
  assert.equal(f.count('readRange'), 2);
  await f.vfs.release(fh);
  await f.close();
});

test('ranged reads that fail without progress: two are asked again, a third fails the read with EIO and the next read starts over', async () => {
  const data = randomBytes(200_000);
  const f = await vfsOn((d) => {
    d.put('/two.bin', data);
    d.put('/three.bin', data);
  });
  f.drive.failAt('readRange', 1);
  f.drive.failAt('readRange', 2);
  const two = await f.vfs.open('/two.bin', R);
  const out = Buffer.alloc(data.length);
  assert.equal(await f.vfs.read(two, out, data.length, 0), data.length);
  assert.ok(out.equals(data));
  assert.equal(f.count('readRange'), 3);
  await f.vfs.release(two);

  f.drive.failAt('readRange', 4);
  f.drive.failAt('readRange', 5);
  f.drive.failAt('readRange', 6);
  const three = await f.vfs.open('/three.bin', R);
  await assert.rejects(f.vfs.read(three, out, data.length, 0), errno('EIO'));
  assert.equal(f.count('readRange'), 6);
  out.fill(0);
  assert.equal(await f.vfs.read(three, out, data.length, 0), data.length);
  assert.ok(out.equals(data));
  assert.equal(f.count('readRange'), 7);
  await f.vfs.release(three);
  await f.close();
});

test('stat of a missing path is ENOENT and is remembered: a second stat within the TTL asks the drive nothing', async () => {
  const f = await vfsOn((d) => d.put('/here.txt', 'x'), { negativeCacheTtlMs: 5_000 });
  await assert.rejects(f.vfs.getattr('/missing'), errno('ENOENT'));
  assert.deepEqual(f.calls(), { stat: 1 });
  await assert.rejects(f.vfs.getattr('/missing'), errno('ENOENT'));
  await assert.rejects(f.vfs.open('/missing', R), errno('ENOENT'));
  assert.deepEqual(f.calls(), { stat: 1 });
  await f.close();
});

test('a remembered missing path is asked again once the negative TTL has passed', async () => {
  const f = await vfsOn(() => undefined, { negativeCacheTtlMs: 1 });
  await assert.rejects(f.vfs.getattr('/later.txt'), errno('ENOENT'));
  f.drive.put('/later.txt', 'made elsewhere');
  await sleep(10);
  assert.equal((await f.vfs.getattr('/later.txt')).size, 14);
  assert.equal(f.count('stat'), 2);
  await f.close();
});

test('a read-only mount refuses every change with EROFS and asks the drive nothing', async () => {
  const f = await vfsOn((d) => {
    d.put('/f.txt', 'keep');
    d.put('/d/x.txt', 'x');
  }, { readOnly: true });
  assert.equal(f.vfs.writable, false);
  const refusals: [string, () => Promise<unknown>][] = [
    ['create', async () => f.vfs.create('/new.txt')],
    ['open for write', async () => f.vfs.open('/f.txt', W)],
    ['open O_TRUNC', async () => f.vfs.open('/f.txt', { write: false, truncate: true })],
    ['truncate', async () => f.vfs.truncate('/f.txt', 0)],
    ['mkdir', async () => f.vfs.mkdir('/e')],
    ['rmdir', async () => f.vfs.rmdir('/d')],
    ['unlink', async () => f.vfs.unlink('/f.txt')],
    ['rename', async () => f.vfs.rename('/f.txt', '/g.txt')],
    ['utimens', async () => f.vfs.utimens('/f.txt', 0)],
  ];
  for (const [what, op] of refusals) await assert.rejects(op, errno('EROFS'), what);
  assert.deepEqual(f.calls(), {});
  assert.deepEqual(await f.staged(), []);
  assert.equal(f.drive.content('/f.txt')?.toString(), 'keep');
  await f.close();
});

test('a file open inside a folder that is renamed follows the folder', async () => {
  const f = await vfsOn(async (d) => {
    await d.writer.mkdir('/d');
  });
  try {
    const fh = await f.vfs.create('/d/inner.txt');
    await put(f.vfs, fh, 'inner');
    await f.vfs.rename('/d', '/e');
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    assert.equal(f.drive.content('/e/inner.txt')?.toString(), 'inner');
  } finally {
    await f.close();
  }
});

test('rename onto a file open for writing: the open file is cut loose (never uploaded), the name holds the source', async () => {
  const f = await vfsOn((d) => {
    d.put('/a.txt', 'source');
    d.put('/b.txt', 'target');
  });
  try {
    const bh = await f.vfs.open('/b.txt', { write: true, truncate: true });
    await put(f.vfs, bh, 'written to the old b');
    await f.vfs.rename('/a.txt', '/b.txt');
    await f.vfs.flush(bh);
    await f.vfs.release(bh);
    assert.equal(f.count('upload'), 0);
    assert.equal(f.drive.content('/b.txt')?.toString(), 'source');
    assert.equal(f.drive.content('/a.txt'), undefined);
    assert.equal((await f.vfs.getattr('/b.txt')).size, 6);
    assert.deepEqual(await f.staged(), []);
  } finally {
    await f.close();
  }
});

test('rmdir of a folder holding a file created and still open there is ENOTEMPTY', async () => {
  const f = await vfsOn(async (d) => {
    await d.writer.mkdir('/d');
  });
  try {
    const fh = await f.vfs.create('/d/new.txt');
    await put(f.vfs, fh, 'not yet uploaded');
    assert.equal((await f.vfs.getattr('/d/new.txt')).size, 16);
    await assert.rejects(f.vfs.rmdir('/d'), errno('ENOTEMPTY'));
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    assert.equal(f.drive.content('/d/new.txt')?.toString(), 'not yet uploaded');
  } finally {
    await f.close();
  }
});

test('unlink during a running upload waits for it, then removes what it committed: the file does not come back', async () => {
  const f = await vfsOn();
  f.drive.delay('upload', 100);
  const fh = await f.vfs.create('/racing.txt');
  await put(f.vfs, fh, 'soon gone');
  const flushing = f.vfs.flush(fh);
  await new Promise((r) => setTimeout(r, 20)); // the upload is under way now
  await f.vfs.unlink('/racing.txt');
  await flushing;
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 1);
  assert.equal(f.count('remove'), 1);
  assert.equal(f.drive.content('/racing.txt'), undefined);
  await assert.rejects(f.vfs.getattr('/racing.txt'), errno('ENOENT'));
  await f.close();
});

test('rename onto a file whose upload is running waits for it: the renamed file is what stays', async () => {
  const f = await vfsOn((d) => {
    d.put('/src.txt', Buffer.from('source'));
  });
  f.drive.delay('upload', 100);
  const fh = await f.vfs.create('/dst.txt');
  await put(f.vfs, fh, 'target bytes');
  const flushing = f.vfs.flush(fh);
  await new Promise((r) => setTimeout(r, 20));
  await f.vfs.rename('/src.txt', '/dst.txt');
  await flushing;
  await f.vfs.release(fh);
  assert.equal(f.drive.content('/dst.txt')?.toString(), 'source');
  assert.equal(f.drive.content('/src.txt'), undefined);
  await f.close();
});
