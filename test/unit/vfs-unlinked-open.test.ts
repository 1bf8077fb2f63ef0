import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errno, get, put, vfsOn } from './vfs-fixture.js';

const W = { write: true, truncate: false };
const R = { write: false, truncate: false };
/** What libfuse renames an open file to when it is unlinked (hidden until the last close). */
const hidden = (dir: string) => `${dir === '/' ? '' : dir}/.fuse_hidden0000000300000001`;

test('unlink of a file open for writing (libfuse: rename to a hidden name): the handle keeps its bytes, nothing is uploaded, the staging file goes at close', async () => {
  const f = await vfsOn();
  const fh = await f.vfs.create('/new.txt');
  await put(f.vfs, fh, 'abc');
  await f.vfs.rename('/new.txt', hidden('/'));
  await assert.rejects(f.vfs.getattr('/new.txt'), errno('ENOENT'));
  assert.deepEqual((await f.vfs.readdir('/')).names(), []);
  await put(f.vfs, fh, 'def', 3);
  assert.equal(await get(f.vfs, fh), 'abcdef');
  assert.equal((await f.vfs.fgetattr(fh, hidden('/'))).size, 6);
  assert.equal((await f.vfs.getattr(hidden('/'))).size, 6);
  // Opened again through /proc/PID/fd/N: libfuse names it by the hidden path.
  const again = await f.vfs.open(hidden('/'), R);
  assert.equal(await get(f.vfs, again), 'abcdef');
  await f.vfs.release(again);
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  await f.vfs.unlink(hidden('/')); // libfuse, at the last close
  assert.equal(f.count('upload'), 0);
  assert.equal(f.count('remove'), 0);
  assert.equal(f.count('move'), 0);
  assert.deepEqual(await f.staged(), []);
  assert.deepEqual(f.errors(), []);
  await f.close();
});

test('unlink of an uploaded file still open for writing: removed from the drive at once, later writes never uploaded', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'old'));
  const fh = await f.vfs.open('/a.txt', W);
  await put(f.vfs, fh, 'new');
  await f.vfs.flush(fh);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'new');
  await put(f.vfs, fh, 'er', 3);
  await f.vfs.rename('/a.txt', hidden('/'));
  assert.equal(f.drive.content('/a.txt'), undefined);
  assert.equal(await get(f.vfs, fh), 'newer');
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  await f.vfs.unlink(hidden('/'));
  assert.equal(f.drive.content('/a.txt'), undefined);
  assert.equal(f.drive.content(hidden('/')), undefined);
  assert.equal(f.count('upload'), 1);
  assert.equal(f.count('move'), 0);
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('unlink of a file open for reading: removed on the drive; fstat still answers from the handle', async () => {
  const f = await vfsOn((d) => d.put('/r.txt', 'read me'));
  const fh = await f.vfs.open('/r.txt', R);
  await f.vfs.rename('/r.txt', hidden('/'));
  assert.equal(f.drive.content('/r.txt'), undefined);
  assert.equal(f.count('move'), 0);
  assert.equal((await f.vfs.fgetattr(fh, hidden('/'))).size, 7);
  assert.equal((await f.vfs.getattr(hidden('/'))).size, 7);
  await f.vfs.release(fh);
  await f.vfs.unlink(hidden('/'));
  assert.equal(f.count('remove'), 1);
  await f.close();
});

test('a folder holding a removed file that is still open can be removed at once; the handle keeps working and nothing of the file is uploaded', async () => {
  const f = await vfsOn((d) => d.put('/dir/keep.txt', 'k'));
  await f.vfs.unlink('/dir/keep.txt');
  const fh = await f.vfs.create('/dir/open.txt');
  await put(f.vfs, fh, 'x');
  await f.vfs.rename('/dir/open.txt', hidden('/dir'));
  await f.vfs.rmdir('/dir');
  await assert.rejects(f.vfs.getattr('/dir'), errno('ENOENT'));
  // libfuse has no path for the file now: the binding passes "".
  await put(f.vfs, fh, 'y', 1);
  assert.equal(await get(f.vfs, fh), 'xy');
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.count('upload'), 0);
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('without pathless handles (an unpatched binding), a folder holding a removed, open file is EBUSY until it is closed', async () => {
  const f = await vfsOn((d) => d.put('/dir/keep.txt', 'k'), { pathlessHandles: false });
  await f.vfs.unlink('/dir/keep.txt');
  const fh = await f.vfs.create('/dir/open.txt');
  await put(f.vfs, fh, 'x');
  await f.vfs.rename('/dir/open.txt', hidden('/dir'));
  await assert.rejects(f.vfs.rmdir('/dir'), errno('EBUSY'));
  await f.vfs.mkdir('/other');
  await assert.rejects(f.vfs.rename('/other', '/dir'), errno('EBUSY'));
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  await f.vfs.unlink(hidden('/dir'));
  await f.vfs.rmdir('/dir');
  assert.equal(f.count('upload'), 0);
  assert.deepEqual(await f.staged(), []);
  await f.close();
});

test('a rename to a name like a hidden one, of a file that is not open, is an ordinary rename', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'a'));
  await f.vfs.rename('/a.txt', hidden('/'));
  assert.equal(f.drive.content(hidden('/'))?.toString(), 'a');
  await f.close();
});

test('"" (a file with no path left) is ENOENT by path; a time set on it goes nowhere', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'a'));
  await assert.rejects(f.vfs.getattr(''), errno('ENOENT'));
  await assert.rejects(f.vfs.readdir(''), errno('ENOENT'));
  await assert.rejects(f.vfs.open('', R), errno('ENOENT'));
  await f.vfs.utimens('', 1_600_000_000_000);
  assert.equal(f.count('setModified'), 0);
  assert.equal(f.count('move'), 0);
  await f.close();
});

test('a file open for reading follows its rename: removing it under the new name is still an unlink, never a move to the hidden name', async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'abc'));
  const fh = await f.vfs.open('/a.txt', R);
  await f.vfs.rename('/a.txt', '/b.txt');
  await f.vfs.rename('/b.txt', hidden('/'));
  assert.equal(f.drive.content(hidden('/')), undefined, 'the hidden name reached the drive');
  assert.equal(f.drive.content('/b.txt'), undefined);
  assert.equal(f.count('remove'), 1);
  await f.vfs.release(fh);
  await f.vfs.unlink(hidden('/'));
  await f.close();
});

test('a rename of an open file onto an existing name that looks hidden is an ordinary rename', async () => {
  const f = await vfsOn((d) => {
    d.put('/a.txt', 'a');
    d.put(hidden('/'), 'old');
  });
  const fh = await f.vfs.open('/a.txt', R);
  await f.vfs.rename('/a.txt', hidden('/'));
  assert.equal(f.drive.content(hidden('/'))?.toString(), 'a');
  await f.vfs.release(fh);
  await f.close();
});
