import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errno, put, vfsOn } from './vfs-fixture.js';

const W = { write: true, truncate: false };
const R = { write: false, truncate: false };
const LONG = 'a'.repeat(256);
/** What the binding hands over for the bytes `caf\xe9` (and `caf\xe8`): invalid UTF-8 becomes U+FFFD. */
const MANGLED = 'caf\uFFFD';

test('a name over 255 bytes is ENAMETOOLONG for every operation, before any call to the drive or byte staged', async () => {
  const f = await vfsOn((d) => {
    d.put('/a.txt', 'x');
    d.put('/dir/in.txt', 'y');
  });
  const p = `/${LONG}`;
  await assert.rejects(f.vfs.getattr(p), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.getattr(`/dir/${LONG}`), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.readdir(p), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.create(p), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.open(p, W), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.open(p, R), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.mkdir(p), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.rmdir(p), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.unlink(p), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.truncate(p, 0), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.rename('/a.txt', p), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.rename(p, '/b.txt'), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.utimens(p, 0), errno('ENAMETOOLONG'));
  await assert.rejects(f.vfs.access(p, false), errno('ENAMETOOLONG'));
  assert.deepEqual(f.calls(), {});
  assert.deepEqual(await f.staged(), []);
  // 255 bytes is allowed (multi-byte characters count in bytes: 85 × 3 = 255).
  const fh = await f.vfs.create(`/${'€'.repeat(85)}`);
  await f.vfs.release(fh);
  assert.ok(f.drive.content(`/${'€'.repeat(85)}`));
  await assert.rejects(f.vfs.create(`/${'€'.repeat(86)}`), errno('ENAMETOOLONG'));
  await f.close();
});

test('a name that was not valid UTF-8 (U+FFFD from the binding) is EINVAL for create, mkdir, rename target and writes; nothing is merged or overwritten', async () => {
  const f = await vfsOn((d) => {
    d.put('/a.txt', 'a');
    d.put(`/${MANGLED}`, 'made elsewhere');
  });
  await assert.rejects(f.vfs.create(`/new${MANGLED}`), errno('EINVAL'));
  await assert.rejects(f.vfs.mkdir(`/dir${MANGLED}`), errno('EINVAL'));
  await assert.rejects(f.vfs.rename('/a.txt', `/${MANGLED}`), errno('EINVAL'));
  await assert.rejects(f.vfs.open(`/${MANGLED}`, W), errno('EINVAL'));
  await assert.rejects(f.vfs.truncate(`/${MANGLED}`, 0), errno('EINVAL'));
  assert.deepEqual(f.calls(), {});
  assert.equal(f.drive.content(`/${MANGLED}`)?.toString(), 'made elsewhere');
  assert.equal(f.drive.content('/a.txt')?.toString(), 'a');
  // Reading what is there stays possible.
  const fh = await f.vfs.open(`/${MANGLED}`, R);
  await f.vfs.release(fh);
  await f.close();
});

test("a truncate or write beyond the service's largest file is EFBIG at once: nothing fetched, staged or uploaded", async () => {
  const f = await vfsOn((d) => d.put('/a.txt', 'hello'), {}, { maxFileBytes: 1000 });
  await assert.rejects(f.vfs.truncate('/a.txt', 1001), errno('EFBIG'));
  assert.deepEqual(f.calls(), {});
  assert.deepEqual(await f.staged(), []);

  const fh = await f.vfs.create('/new.bin');
  await assert.rejects(f.vfs.ftruncate(fh, 300 * 1000 ** 3), errno('EFBIG'));
  assert.equal((await f.vfs.getattr('/new.bin')).size, 0);
  for (const name of await f.staged()) assert.equal((await fs.stat(join(f.cacheDir, name))).size, 0, 'the staged copy was not extended');
  // A write crossing the limit writes what fits; one starting at the limit is EFBIG.
  const b = Buffer.alloc(10, 1);
  assert.equal(await f.vfs.write(fh, b, 10, 995), 5);
  await assert.rejects(f.vfs.write(fh, b, 10, 1000), errno('EFBIG'));
  await f.vfs.flush(fh);
  await f.vfs.release(fh);
  assert.equal(f.drive.content('/new.bin')?.length, 1000);
  assert.equal(f.drive.content('/a.txt')?.toString(), 'hello');
  await f.close();
});

test('the cache directory full: the writer gets ENOSPC, the bytes written so far stay staged, the vfs keeps working', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vfs-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    t.skip('cannot mount a small tmpfs as the cache directory (needs root)');
    return;
  }
  try {
    const f = await vfsOn(() => undefined, { cacheDir: dir });
    const fh = await f.vfs.create('/big.bin');
    const chunk = Buffer.alloc(64 << 10, 7);
    let pos = 0;
    let failure: unknown;
    for (let i = 0; i < 64 && !failure; i++) {
      try {
        pos += await f.vfs.write(fh, chunk, chunk.length, pos);
      } catch (e) {
        failure = e;
      }
    }
    assert.ok(failure, 'a 4 MiB file fits in a 1 MiB cache directory');
    errno('ENOSPC')(failure);
    assert.ok(pos > 0);
    const [staged] = await f.staged();
    assert.equal((await fs.stat(join(dir, staged!))).size, pos, 'what was written before stays');
    assert.equal((await f.vfs.getattr('/big.bin')).size, pos);
    await f.vfs.release(fh);
    // Space again: the vfs goes on.
    const small = await f.vfs.create('/small.txt');
    await put(f.vfs, small, 'fits');
    await f.vfs.flush(small);
    await f.vfs.release(small);
    assert.equal(f.drive.content('/small.txt')?.toString(), 'fits');
    await f.close();
  } finally {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
