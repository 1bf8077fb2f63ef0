// Changes made elsewhere show through the mount within one poll interval (--poll-interval 1),
// although every folder was listed before and the dir cache would keep it for 5 minutes:
// changes behind the emulator's back (new, changed, renamed, moved, deleted), a change made
// through a second mount of the same drive, a resync after 410, and an open reader across a change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, waitFor, MiB, type DriveFixture, type MountFixture } from '../helpers/harness.js';

let drive: DriveFixture;
let a: MountFixture;
let b: MountFixture;
let R: string;

const BIG = 24 * MiB;
const POLL = ['--poll-interval', '1', '--attr-timeout', '0', '--max-read-ahead', '1'];

before(async () => {
  drive = await startDrive({
    seed: async (root) => {
      await fs.mkdir(path.join(root, 'dir', 'sub'), { recursive: true });
      await fs.writeFile(path.join(root, 'dir', 'changed.txt'), 'old\n');
      await fs.writeFile(path.join(root, 'dir', 'renamed.txt'), 'r\n');
      await fs.writeFile(path.join(root, 'dir', 'moved.txt'), 'm\n');
      await fs.writeFile(path.join(root, 'dir', 'deleted.txt'), 'd\n');
      await fs.writeFile(path.join(root, 'big.bin'), Buffer.alloc(BIG, 'a'));
    },
  });
  R = drive.root;
  a = await mount(drive, [...POLL, '--cache-dir', path.join(drive.tmp, 'cache-a')]);
  b = await mount(drive, [...POLL, '--cache-dir', path.join(drive.tmp, 'cache-b')]);
});

after(async () => {
  await a?.unmount();
  await b?.unmount();
  await drive?.close();
});

const ls = async (dir: string): Promise<string[]> => (await fs.readdir(dir)).sort();
/** Generous: the poll interval is 1 s, but a loaded machine may starve the mount for a while. */
const WAIT_MS = 60_000;
const gone = (p: string) => fs.stat(p).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ENOENT');

test('new, changed, renamed, moved and deleted items behind the service show within the interval', async () => {
  const M = a.mnt;
  // Everything listed and read once: from now on the dir cache would answer for 5 minutes.
  assert.deepEqual(await ls(path.join(M, 'dir')), ['changed.txt', 'deleted.txt', 'moved.txt', 'renamed.txt', 'sub']);
  assert.deepEqual(await ls(path.join(M, 'dir', 'sub')), []);
  assert.equal(await fs.readFile(path.join(M, 'dir', 'changed.txt'), 'utf8'), 'old\n');

  await fs.writeFile(path.join(R, 'dir', 'new.txt'), 'new\n');
  await fs.writeFile(path.join(R, 'dir', 'changed.txt'), 'new content\n');
  await fs.rename(path.join(R, 'dir', 'renamed.txt'), path.join(R, 'dir', 'renamed-now.txt'));
  await fs.rename(path.join(R, 'dir', 'moved.txt'), path.join(R, 'dir', 'sub', 'moved.txt'));
  await fs.rm(path.join(R, 'dir', 'deleted.txt'));

  const want = ['changed.txt', 'new.txt', 'renamed-now.txt', 'sub'];
  await waitFor(async () => JSON.stringify(await ls(path.join(M, 'dir'))) === JSON.stringify(want), 'the changes in ls', WAIT_MS);
  assert.deepEqual(await ls(path.join(M, 'dir', 'sub')), ['moved.txt']);
  assert.equal((await fs.stat(path.join(M, 'dir', 'changed.txt'))).size, 12);
  assert.equal(await fs.readFile(path.join(M, 'dir', 'changed.txt'), 'utf8'), 'new content\n');
  assert.equal(await fs.readFile(path.join(M, 'dir', 'new.txt'), 'utf8'), 'new\n');
  assert.equal(await fs.readFile(path.join(M, 'dir', 'sub', 'moved.txt'), 'utf8'), 'm\n');
  assert.ok(await gone(path.join(M, 'dir', 'deleted.txt')));
  assert.ok(await gone(path.join(M, 'dir', 'renamed.txt')));
});

test('two mounts of one drive see each other\'s changes', async () => {
  assert.deepEqual(await ls(b.mnt), ['big.bin', 'dir']);
  await fs.writeFile(path.join(a.mnt, 'from-a.txt'), 'written through a\n');
  await waitFor(async () => (await ls(b.mnt)).includes('from-a.txt'), 'a file written through mount a in mount b', WAIT_MS);
  assert.equal(await fs.readFile(path.join(b.mnt, 'from-a.txt'), 'utf8'), 'written through a\n');
  await fs.rm(path.join(b.mnt, 'from-a.txt'));
  await waitFor(() => gone(path.join(a.mnt, 'from-a.txt')), 'the removal through mount b in mount a', WAIT_MS);
});

test('410 resyncRequired drops the cache: changes made before it still show', async () => {
  const M = a.mnt;
  assert.ok(!(await ls(M)).includes('after-resync.txt'));
  await drive.setFaults({ deltaEpoch: 1 });
  await fs.writeFile(path.join(R, 'after-resync.txt'), 'x\n');
  await waitFor(() => a.log().includes('lost track of changes'), 'the resync in the log', WAIT_MS);
  await waitFor(async () => (await ls(M)).includes('after-resync.txt'), 'the file in ls after the resync', WAIT_MS);
  // Polling goes on with the new token.
  await fs.writeFile(path.join(R, 'after-resync-2.txt'), 'y\n');
  await waitFor(async () => (await ls(M)).includes('after-resync-2.txt'), 'a later change', WAIT_MS);
});

test('an open reader of a file changed on the service reads no byte of the new version', async () => {
  const file = path.join(a.mnt, 'big.bin');
  const fh = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    await fh.read(head, 0, head.length, 0);
    assert.ok(head.every((c) => c === 0x61));
    const before = (await fs.stat(file)).mtimeMs;
    // Rewritten in place (same item id), then seen by the mount.
    await fs.writeFile(path.join(R, 'big.bin'), Buffer.alloc(BIG, 'b'));
    await waitFor(async () => (await fs.stat(file)).mtimeMs !== before, 'the new version in stat', WAIT_MS);
    const tail = Buffer.alloc(64 * 1024);
    const outcome = await fh.read(tail, 0, tail.length, BIG - tail.length).then(
      (r) => ({ bytes: tail.subarray(0, r.bytesRead) }),
      (e: NodeJS.ErrnoException) => ({ code: e.code }),
    );
    if ('code' in outcome) assert.equal(outcome.code, 'EIO');
    else assert.ok(outcome.bytes.every((c) => c === 0x61), 'only bytes of the version opened');
  } finally {
    await fh.close();
  }
  // Opened again, it reads the new version.
  const fresh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    await fresh.read(buf, 0, buf.length, BIG - buf.length);
    assert.ok(buf.every((c) => c === 0x62));
  } finally {
    await fresh.close();
  }
});
