// The kernel sends release after close(2) has returned, so a program's next call (rsync's
// utimens of its temporary file, then its rename) can arrive while the release is still closing
// the staging file. The time it sets must be what the mount keeps (and what a rename carries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { put, vfsOn } from './vfs-fixture.js';

test('a utimens that arrives while release closes the staging file is not overwritten by the older entry', async () => {
  const t = Date.parse('2009-09-09T09:09:09.000Z');
  const f = await vfsOn();
  const fh = await f.vfs.create('/tmpfile');
  await put(f.vfs, fh, 'bytes');
  await f.vfs.flush(fh); // committed: release has nothing left to upload
  const releasing = f.vfs.release(fh); // not awaited, as the kernel does not wait for it
  await f.vfs.utimens('/tmpfile', t);
  await releasing;
  assert.equal((await f.drive.stat('/tmpfile')).mtimeMs, t);
  assert.equal((await f.vfs.getattr('/tmpfile')).mtimeMs, t, 'the mount shows the time set');
  await f.vfs.rename('/tmpfile', '/final');
  assert.equal((await f.vfs.getattr('/final')).mtimeMs, t);
  await f.close();
});
