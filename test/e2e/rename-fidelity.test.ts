// Programs that replace files by renaming (mv, sed -i, rsync) on a real OneDrive mount, against
// the Graph emulator in its strict default: `replace` on a move is ignored and a move resets
// the modification time unless it sends it. The result must be what a local disk gives: the
// target replaced, nothing left behind, times kept — also once the caches have expired
// (short --dir-cache-time / --attr-timeout) and after a remount.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDrive, mount, sh, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { q, ok, sleep, statc } from './write-helpers.js';

/** Short caches so "after the caches expired" is reached by waiting a moment. */
const DIR_CACHE_SEC = 1;
const MOUNT_ARGS = ['--dir-cache-time', String(DIR_CACHE_SEC), '--attr-timeout', '0'];

let drive: DriveFixture;
let m: MountFixture | undefined;
let R: string;
let cacheDir: string;

before(async () => {
  drive = await startDrive();
  R = drive.root;
  cacheDir = path.join(drive.tmp, 'cache');
  m = await mount(drive, [...MOUNT_ARGS, '--cache-dir', cacheDir]);
});

after(async () => {
  await m?.unmount();
  await drive?.close();
});

const waitForCachesToExpire = (): Promise<void> => sleep(DIR_CACHE_SEC * 1000 + 500);

/** Names the driver parks replaced items under, anywhere on the service. */
async function leftovers(): Promise<string> {
  return (await ok(`cd ${q(R)} && find . -name '.dm-replaced-*'`)).trim();
}

async function remount(): Promise<string> {
  await m!.unmount();
  m = undefined;
  m = await mount(drive, [...MOUNT_ARGS, '--cache-dir', cacheDir]);
  return m.mnt;
}

/** A small tree with old times on every file and folder. */
async function makeTree(root: string): Promise<void> {
  for (const d of ['', 'sub', 'sub/deeper', 'other']) await fs.mkdir(path.join(root, d), { recursive: true });
  let i = 0;
  for (const d of ['', 'sub', 'sub/deeper', 'other']) {
    for (let k = 0; k < 5; k++) await fs.writeFile(path.join(root, d, `f${i++}.txt`), randomBytes(100 + i * 37));
  }
  const all = (await ok(`cd ${q(root)} && find . -depth -print0`)).split('\0').filter(Boolean);
  for (const [k, p] of all.entries()) {
    const t = new Date(Date.UTC(2010, 0, 1) + k * 86_400_000 + 123);
    await fs.utimes(path.join(root, p), t, t);
  }
}

/** rsync's own verdict: what it would still change (empty when nothing). */
async function rsyncWouldChange(src: string, dst: string): Promise<string> {
  const r = await sh(`rsync -a --dry-run --itemize-changes ${q(src)}/ ${q(dst)}/ 2>&1`);
  assert.equal(r.code, 0, r.stdout);
  return r.stdout.trim();
}

test('mv a b onto an existing b: b holds a\'s bytes and time, a is gone, nothing is left behind', async () => {
  const M = m!.mnt;
  await ok(`echo from-a > ${q(M)}/a && touch -d '2015-05-05 05:05:05' ${q(M)}/a && echo from-b > ${q(M)}/b`);
  await ok(`mv ${q(M)}/a ${q(M)}/b`);
  assert.equal(await fs.readFile(path.join(M, 'b'), 'utf8'), 'from-a\n');
  assert.equal(await fs.readFile(path.join(R, 'b'), 'utf8'), 'from-a\n');
  assert.equal((await sh(`test -e ${q(M)}/a`)).code, 1);
  const want = String(Date.parse('2015-05-05T05:05:05') / 1000);
  assert.equal(await statc('%Y', path.join(M, 'b')), want, 'through the mount');
  assert.equal(await statc('%Y', path.join(R, 'b')), want, 'on the service');
  assert.equal(await leftovers(), '');
  await waitForCachesToExpire();
  assert.equal(await statc('%Y', path.join(M, 'b')), want, 'once the caches expired');
  assert.deepEqual((await fs.readdir(M)).filter((n) => n === 'a' || n === 'b'), ['b']);
});

test('mv into another folder onto an existing file keeps the time too', async () => {
  const M = m!.mnt;
  await ok(`mkdir ${q(M)}/into && echo new > ${q(M)}/moving && touch -d '2012-02-02 02:02:02' ${q(M)}/moving && echo old > ${q(M)}/into/moving`);
  await ok(`mv ${q(M)}/moving ${q(M)}/into/moving`);
  assert.equal(await fs.readFile(path.join(R, 'into', 'moving'), 'utf8'), 'new\n');
  assert.equal(await statc('%Y', path.join(R, 'into', 'moving')), String(Date.parse('2012-02-02T02:02:02') / 1000));
  assert.deepEqual(await fs.readdir(path.join(R, 'into')), ['moving']);
});

test('sed -i on a file in the mount: the edit is there, once, with no temporary file left', async () => {
  const M = m!.mnt;
  await ok(`mkdir ${q(M)}/edit && printf 'one\\ntwo\\nthree\\n' > ${q(M)}/edit/notes.txt`);
  await ok(`sed -i 's/two/TWO/' ${q(M)}/edit/notes.txt`);
  assert.equal(await fs.readFile(path.join(M, 'edit', 'notes.txt'), 'utf8'), 'one\nTWO\nthree\n');
  assert.equal(await fs.readFile(path.join(R, 'edit', 'notes.txt'), 'utf8'), 'one\nTWO\nthree\n');
  assert.deepEqual(await fs.readdir(path.join(R, 'edit')), ['notes.txt']);
  // Again, onto the file sed itself just put there.
  await ok(`sed -i 's/one/ONE/' ${q(M)}/edit/notes.txt`);
  assert.equal(await fs.readFile(path.join(R, 'edit', 'notes.txt'), 'utf8'), 'ONE\nTWO\nthree\n');
  assert.deepEqual(await fs.readdir(path.join(M, 'edit')), ['notes.txt']);
  assert.equal(await leftovers(), '');
});

test('rsync -a of a tree: rsync then finds nothing to change, after the caches expire, and after a remount', async () => {
  const SRC = path.join(drive.tmp, 'src');
  await makeTree(SRC);
  let M = m!.mnt;
  await ok(`rsync -a ${q(SRC)}/ ${q(M)}/tree/`);
  assert.equal(await rsyncWouldChange(SRC, path.join(M, 'tree')), '', 'right after the copy');
  await waitForCachesToExpire();
  assert.equal(await rsyncWouldChange(SRC, path.join(M, 'tree')), '', 'once the caches expired');
  M = await remount();
  assert.equal(await rsyncWouldChange(SRC, path.join(M, 'tree')), '', 'after a remount');

  // Changed files: rsync renames its temporary file onto each existing one.
  for (const f of ['f0.txt', 'sub/f5.txt', 'sub/deeper/f10.txt']) {
    await fs.writeFile(path.join(SRC, f), randomBytes(555));
    const t = new Date(Date.UTC(2020, 5, 6, 7, 8, 9));
    await fs.utimes(path.join(SRC, f), t, t);
  }
  await ok(`rsync -a ${q(SRC)}/ ${q(M)}/tree/`);
  assert.equal(await rsyncWouldChange(SRC, path.join(M, 'tree')), '', 'after replacing files');
  await waitForCachesToExpire();
  assert.equal(await rsyncWouldChange(SRC, path.join(M, 'tree')), '', 'after replacing files, once the caches expired');
  M = await remount();
  assert.equal(await rsyncWouldChange(SRC, path.join(M, 'tree')), '', 'after replacing files and a remount');
  assert.equal((await sh(`diff -r ${q(SRC)} ${q(R)}/tree`)).code, 0, 'the service holds the same bytes');
  assert.equal((await ok(`cd ${q(R)}/tree && find . -name '.*.??????'`)).trim(), '', "rsync's temporary files are gone");
  assert.equal(await leftovers(), '');
});
