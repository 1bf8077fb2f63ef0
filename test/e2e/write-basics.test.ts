// Writing through the mount with everyday shell programs: each result is checked on the
// emulator's backing folder (what the service stores) and, where it matters, through the mount.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startDrive, mount, sh, MiB, isMounted, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { q, ok, fails, assertSame, snapshot, statc, sleep, filesIn, delta } from './write-helpers.js';

let drive: DriveFixture;
let m: MountFixture;
let M: string; // the mount
let R: string; // the backing folder (what the service holds)
let L: string; // local copies of the seeded files, to replay every change on
let cacheDir: string;

const SHRINK_BYTES = 100_000;
const MID_BYTES = 12 * MiB;

before(async () => {
  drive = await startDrive({
    seed: async (root) => {
      const local = path.join(path.dirname(root), 'local');
      await fs.mkdir(local);
      const put = async (name: string, data: Buffer | string) => {
        await fs.writeFile(path.join(root, name), data);
        await fs.writeFile(path.join(local, name), data);
      };
      await put('append.txt', 'line one\n');
      await put('shrink.bin', randomBytes(SHRINK_BYTES));
      await put('mid.bin', randomBytes(MID_BYTES));
      await put('fresh.txt', 'old content\n');
      await put('other-mount.txt', 'before\n');
      await put('perm.txt', 'mode and owner\n');
      await put('ro.txt', 'read only\n');
      await fs.mkdir(path.join(root, 'ro-dir'));
      await fs.writeFile(path.join(root, 'ro-dir', 'inside.txt'), 'inside\n');
      const old = new Date('2020-02-03T04:05:06Z');
      await fs.utimes(path.join(root, 'perm.txt'), old, old);
    },
  });
  R = drive.root;
  L = path.join(drive.tmp, 'local');
  cacheDir = path.join(drive.tmp, 'cache');
  m = await mount(drive, ['--cache-dir', cacheDir]);
  M = m.mnt;
});

after(async () => {
  await m?.unmount();
  await drive?.close();
});

test('echo > creates a file; echo >> appends and keeps the old content', async () => {
  await ok(`echo hello > ${q(M)}/new.txt`);
  assert.equal(await fs.readFile(path.join(R, 'new.txt'), 'utf8'), 'hello\n');
  await ok(`echo world >> ${q(M)}/new.txt`);
  assert.equal(await fs.readFile(path.join(R, 'new.txt'), 'utf8'), 'hello\nworld\n');
  assert.equal(await ok(`cat ${q(M)}/new.txt`), 'hello\nworld\n');
  // Appending to a file the mount has never read: its remote content must be kept.
  await ok(`echo two >> ${q(M)}/append.txt`);
  await ok(`printf 'three\\n' >> ${q(M)}/append.txt`);
  assert.equal(await fs.readFile(path.join(R, 'append.txt'), 'utf8'), 'line one\ntwo\nthree\n');
  assert.equal(await ok(`cat ${q(M)}/append.txt`), 'line one\ntwo\nthree\n');
  // echo > over an existing file replaces its content.
  await ok(`echo replaced > ${q(M)}/new.txt`);
  assert.equal(await fs.readFile(path.join(R, 'new.txt'), 'utf8'), 'replaced\n');
  assert.equal(await statc('%s', path.join(M, 'new.txt')), '9');
  // ': >' empties an existing file.
  await ok(`: > ${q(M)}/new.txt`);
  assert.equal((await fs.stat(path.join(R, 'new.txt'))).size, 0);
  assert.equal(await statc('%s', path.join(M, 'new.txt')), '0');
});

test('truncate -s shrinks and grows (zeros), also across the 4 MiB simple-upload size', async () => {
  for (const size of [1000, 5000, 6 * MiB, 4 * MiB + 1, 100, 0, 10]) {
    await ok(`truncate -s ${size} ${q(M)}/shrink.bin`);
    await ok(`truncate -s ${size} ${q(L)}/shrink.bin`);
    assert.equal((await fs.stat(path.join(R, 'shrink.bin'))).size, size, `backing size after truncate -s ${size}`);
    assert.equal(await statc('%s', path.join(M, 'shrink.bin')), String(size), `mount size after truncate -s ${size}`);
    await assertSame(path.join(R, 'shrink.bin'), path.join(L, 'shrink.bin'), `truncate -s ${size}`);
  }
  // truncate of a file that does not exist creates it.
  await ok(`truncate -s 3000 ${q(M)}/made-by-truncate.bin`);
  const made = await fs.readFile(path.join(R, 'made-by-truncate.bin'));
  assert.equal(made.length, 3000);
  assert.ok(made.every((b) => b === 0));
});

test('dd conv=notrunc in the middle of a 12 MiB file changes only those bytes', async () => {
  await fs.writeFile(path.join(L, 'patch.bin'), randomBytes(MiB));
  // A whole aligned MiB at 5 MiB, then 7,000 bytes at the unaligned offset 3,333,000.
  for (const args of ['bs=1M seek=5 count=1', 'bs=1000 seek=3333 count=7']) {
    await ok(`dd if=${q(L)}/patch.bin of=${q(M)}/mid.bin ${args} conv=notrunc status=none`);
    await ok(`dd if=${q(L)}/patch.bin of=${q(L)}/mid.bin ${args} conv=notrunc status=none`);
    assert.equal((await fs.stat(path.join(R, 'mid.bin'))).size, MID_BYTES, `size after dd ${args}`);
    assert.equal(await statc('%s', path.join(M, 'mid.bin')), String(MID_BYTES), `size through the mount after dd ${args}`);
    await assertSame(path.join(R, 'mid.bin'), path.join(L, 'mid.bin'), `dd ${args}`);
  }
  // Appending to the same big file (fetched again, as the mount has committed it).
  await ok(`echo tail >> ${q(M)}/mid.bin && echo tail >> ${q(L)}/mid.bin`);
  await assertSame(path.join(R, 'mid.bin'), path.join(L, 'mid.bin'), 'echo >> of a 12 MiB file');
  await assertSame(path.join(M, 'mid.bin'), path.join(L, 'mid.bin'), 'read back through the mount');
});

test('mkdir -p makes nested folders; rmdir of a non-empty folder fails with "Directory not empty"', async () => {
  await ok(`mkdir -p ${q(M)}/a/b/c`);
  assert.ok((await fs.stat(path.join(R, 'a/b/c'))).isDirectory());
  await ok(`echo x > ${q(M)}/a/b/c/f.txt`);
  await fails(`rmdir ${q(M)}/a/b/c`, 'Directory not empty');
  await fails(`rmdir ${q(M)}/a`, 'Directory not empty');
  assert.equal(await fs.readFile(path.join(R, 'a/b/c/f.txt'), 'utf8'), 'x\n');
  await ok(`rm ${q(M)}/a/b/c/f.txt && rmdir ${q(M)}/a/b/c`);
  await assert.rejects(fs.stat(path.join(R, 'a/b/c')), { code: 'ENOENT' });
  // mkdir of an existing folder: "File exists".
  await fails(`mkdir ${q(M)}/a/b`, 'File exists');
  // A folder the mount saw empty, that got a file from elsewhere since: the service would delete
  // it with everything in it, so rmdir must still say "Directory not empty".
  await ok(`mkdir ${q(M)}/seen-empty && ls ${q(M)}/seen-empty`);
  await fs.writeFile(path.join(R, 'seen-empty', 'from-elsewhere.txt'), 'precious\n');
  await fails(`rmdir ${q(M)}/seen-empty`, 'Directory not empty');
  assert.equal(await fs.readFile(path.join(R, 'seen-empty', 'from-elsewhere.txt'), 'utf8'), 'precious\n');
});

test('mv of files and folders across folders: contents follow', async () => {
  await ok(`mkdir -p ${q(M)}/mv-src/sub/deeper ${q(M)}/mv-dst`);
  await fs.writeFile(path.join(L, 'five.bin'), randomBytes(5 * MiB + 123));
  await ok(`echo one > ${q(M)}/mv-src/one.txt`);
  await ok(`echo g > ${q(M)}/mv-src/sub/g.txt && echo d > ${q(M)}/mv-src/sub/deeper/d.txt`);
  await ok(`cp ${q(L)}/five.bin ${q(M)}/mv-src/sub/five.bin`);
  // A file into another folder, under a new name.
  await ok(`mv ${q(M)}/mv-src/one.txt ${q(M)}/mv-dst/uno.txt`);
  assert.equal(await fs.readFile(path.join(R, 'mv-dst/uno.txt'), 'utf8'), 'one\n');
  await assert.rejects(fs.stat(path.join(R, 'mv-src/one.txt')), { code: 'ENOENT' });
  assert.equal(await ok(`cat ${q(M)}/mv-dst/uno.txt`), 'one\n');
  await fails(`stat ${q(M)}/mv-src/one.txt`, 'No such file or directory');
  // A folder into another folder: everything inside follows.
  await ok(`ls -lR ${q(M)}/mv-src > /dev/null`); // let the mount cache the old place first
  await ok(`mv ${q(M)}/mv-src/sub ${q(M)}/mv-dst/`);
  await assert.rejects(fs.stat(path.join(R, 'mv-src/sub')), { code: 'ENOENT' });
  assert.equal(await fs.readFile(path.join(R, 'mv-dst/sub/g.txt'), 'utf8'), 'g\n');
  assert.equal(await fs.readFile(path.join(R, 'mv-dst/sub/deeper/d.txt'), 'utf8'), 'd\n');
  await assertSame(path.join(R, 'mv-dst/sub/five.bin'), path.join(L, 'five.bin'));
  // ... and through the mount, at the new place only.
  assert.equal((await ok(`cd ${q(M)}/mv-dst/sub && find . | LC_ALL=C sort`)).trim().split('\n').join(' '), '. ./deeper ./deeper/d.txt ./five.bin ./g.txt');
  assert.equal(await ok(`cat ${q(M)}/mv-dst/sub/deeper/d.txt`), 'd\n');
  await assertSame(path.join(M, 'mv-dst/sub/five.bin'), path.join(L, 'five.bin'));
  await fails(`ls ${q(M)}/mv-src/sub`, 'No such file or directory');
  assert.equal((await ok(`ls -A ${q(M)}/mv-src`)).trim(), '');
  // Renaming a folder in place.
  await ok(`mv ${q(M)}/mv-dst/sub ${q(M)}/mv-dst/renamed`);
  assert.equal(await fs.readFile(path.join(R, 'mv-dst/renamed/deeper/d.txt'), 'utf8'), 'd\n');
  assert.equal(await ok(`cat ${q(M)}/mv-dst/renamed/g.txt`), 'g\n');
});

test('rm -r removes a whole tree', async () => {
  await ok(`mkdir -p ${q(M)}/doomed/x/y ${q(M)}/doomed/z`);
  for (const f of ['doomed/a.txt', 'doomed/x/b.txt', 'doomed/x/y/c.txt', 'doomed/z/d.txt']) await ok(`echo ${path.basename(f)} > ${q(path.join(M, f))}`);
  await fs.writeFile(path.join(L, 'six.bin'), randomBytes(6 * MiB));
  await ok(`cp ${q(L)}/six.bin ${q(M)}/doomed/x/y/six.bin`);
  assert.ok((await fs.stat(path.join(R, 'doomed/x/y/six.bin'))).isFile());
  await ok(`rm -r ${q(M)}/doomed`);
  await assert.rejects(fs.stat(path.join(R, 'doomed')), { code: 'ENOENT' });
  await fails(`stat ${q(M)}/doomed`, 'No such file or directory');
  assert.ok(!(await ok(`ls -A ${q(M)}`)).split('\n').includes('doomed'));
});

test('rename onto an existing file replaces it (POSIX rename), for files and empty folders', async () => {
  await ok(`mkdir -p ${q(M)}/rn/other`);
  await ok(`echo old > ${q(M)}/rn/target.txt && echo new > ${q(M)}/rn/source.txt`);
  await ok(`cat ${q(M)}/rn/target.txt > /dev/null`);
  await ok(`mv -f ${q(M)}/rn/source.txt ${q(M)}/rn/target.txt`);
  assert.equal(await fs.readFile(path.join(R, 'rn/target.txt'), 'utf8'), 'new\n');
  await assert.rejects(fs.stat(path.join(R, 'rn/source.txt')), { code: 'ENOENT' });
  assert.equal(await ok(`cat ${q(M)}/rn/target.txt`), 'new\n');
  assert.deepEqual(await filesIn(path.join(R, 'rn')), ['other', 'target.txt']);
  // rename(2) itself, a bigger file over a small one in another folder.
  await fs.writeFile(path.join(L, 'seven.bin'), randomBytes(7 * MiB));
  await ok(`cp ${q(L)}/seven.bin ${q(M)}/rn/other/seven.bin`);
  await fs.rename(path.join(M, 'rn/other/seven.bin'), path.join(M, 'rn/target.txt'));
  await assertSame(path.join(R, 'rn/target.txt'), path.join(L, 'seven.bin'));
  await assertSame(path.join(M, 'rn/target.txt'), path.join(L, 'seven.bin'));
  assert.equal(await statc('%s', path.join(M, 'rn/target.txt')), String(7 * MiB));
  assert.deepEqual(await filesIn(path.join(R, 'rn/other')), []);
  // A folder onto an empty folder replaces it; onto a non-empty one: "Directory not empty".
  await ok(`mkdir ${q(M)}/rn/d1 ${q(M)}/rn/d2 ${q(M)}/rn/d3 && echo in > ${q(M)}/rn/d1/in.txt && echo keep > ${q(M)}/rn/d3/keep.txt`);
  await fs.rename(path.join(M, 'rn/d1'), path.join(M, 'rn/d2'));
  assert.equal(await fs.readFile(path.join(R, 'rn/d2/in.txt'), 'utf8'), 'in\n');
  await assert.rejects(fs.stat(path.join(R, 'rn/d1')), { code: 'ENOENT' });
  await assert.rejects(fs.rename(path.join(M, 'rn/d2'), path.join(M, 'rn/d3')), { code: 'ENOTEMPTY' });
  assert.equal(await fs.readFile(path.join(R, 'rn/d3/keep.txt'), 'utf8'), 'keep\n');
  assert.equal(await fs.readFile(path.join(R, 'rn/d2/in.txt'), 'utf8'), 'in\n');
});

test('cp -p and touch -d set the modification time (small files and files over 4 MiB)', async () => {
  await fs.writeFile(path.join(L, 'p-small.txt'), 'keep my time\n');
  await fs.writeFile(path.join(L, 'p-big.bin'), randomBytes(5 * MiB));
  await ok(`touch -d '2021-03-04 05:06:07.25' ${q(L)}/p-small.txt ${q(L)}/p-big.bin`);
  const want = await statc('%Y', path.join(L, 'p-small.txt'));
  for (const name of ['p-small.txt', 'p-big.bin']) {
    await ok(`cp -p ${q(L)}/${name} ${q(M)}/${name}`);
    assert.equal(await statc('%Y', path.join(M, name)), want, `${name}: time through the mount`);
    assert.equal(await statc('%Y', path.join(R, name)), want, `${name}: time stored by the service`);
    await assertSame(path.join(R, name), path.join(L, name));
  }
  // touch -d on an existing file, and on a file that is open and being written.
  await ok(`touch -d '2019-01-02 03:04:05' ${q(M)}/p-small.txt`);
  const t2019 = String(Date.parse('2019-01-02T03:04:05') / 1000); // local time, like touch -d
  assert.equal(await statc('%Y', path.join(M, 'p-small.txt')), t2019);
  assert.equal(await statc('%Y', path.join(R, 'p-small.txt')), t2019);
  assert.equal(await fs.readFile(path.join(R, 'p-small.txt'), 'utf8'), 'keep my time\n');
  await ok(`exec 3>${q(M)}/p-open.txt; echo data >&3; touch -d '2018-05-06 07:08:09' ${q(M)}/p-open.txt; exec 3>&-`);
  const t2018 = String(Date.parse('2018-05-06T07:08:09') / 1000);
  assert.equal(await statc('%Y', path.join(R, 'p-open.txt')), t2018);
  assert.equal(await statc('%Y', path.join(M, 'p-open.txt')), t2018);
  assert.equal(await fs.readFile(path.join(R, 'p-open.txt'), 'utf8'), 'data\n');
});

test('touch -m -d (only the modification time; atime UTIME_OMIT, as tar does) sets it', async () => {
  await ok(`echo m > ${q(M)}/m-only.txt`);
  await ok(`touch -m -d '2003-03-03 03:03:03' ${q(M)}/m-only.txt`);
  const t2003 = String(Date.parse('2003-03-03T03:03:03') / 1000); // local time, like touch -d
  assert.equal(await statc('%Y', path.join(M, 'm-only.txt')), t2003, 'through the mount');
  assert.equal(await statc('%Y', path.join(R, 'm-only.txt')), t2003, 'on the service');
  // The same on a file still open for writing (GNU tar does exactly this before close).
  await ok(`exec 3>${q(M)}/m-open.txt; echo data >&3; touch -m -d '2004-04-04 04:04:04' ${q(M)}/m-open.txt; exec 3>&-`);
  const t2004 = String(Date.parse('2004-04-04T04:04:04') / 1000);
  assert.equal(await statc('%Y', path.join(M, 'm-open.txt')), t2004, 'through the mount (open file)');
  assert.equal(await statc('%Y', path.join(R, 'm-open.txt')), t2004, 'on the service (open file)');
});

test('after close, stat and ls -l show the new size and time at once, and reads give the new bytes', async () => {
  const f = path.join(M, 'fresh.txt');
  // Prime every cache with the old state.
  assert.equal(await statc('%s', f), '12');
  assert.equal(await ok(`cat ${q(f)}`), 'old content\n');
  await ok(`ls -l ${q(M)} > /dev/null`);
  await sleep(1100); // so that a new modification time is a different second
  const before = Math.floor(Date.now() / 1000);
  await fs.writeFile(path.join(L, 'fresh.new'), randomBytes(54_321));
  await ok(`cp ${q(L)}/fresh.new ${q(f)}`);
  const [size, mtime] = (await statc('%s %Y', f)).split(' ');
  assert.equal(size, '54321');
  assert.ok(Number(mtime) >= before, `modification time ${mtime} is older than the write (${before})`);
  assert.equal(mtime, await statc('%Y', path.join(R, 'fresh.txt')), 'the mount shows the service time');
  const ls = (await ok(`ls -l ${q(M)}`)).split('\n').find((l) => l.endsWith(' fresh.txt'));
  assert.ok(ls, 'ls -l does not list fresh.txt');
  assert.equal(ls.trim().split(/\s+/)[4], '54321', ls);
  await assertSame(f, path.join(L, 'fresh.new'));
  // Same size, new bytes: nothing stale from the page cache.
  await fs.writeFile(path.join(L, 'fresh.new2'), randomBytes(54_321));
  await ok(`dd if=${q(L)}/fresh.new2 of=${q(f)} conv=notrunc status=none`);
  await assertSame(f, path.join(L, 'fresh.new2'));
  await assertSame(path.join(R, 'fresh.txt'), path.join(L, 'fresh.new2'));
  // While still open for writing, stat and another reader see the bytes written so far.
  assert.equal(
    await ok(`exec 3>${q(M)}/open-view.txt; echo abc >&3; stat -c %s ${q(M)}/open-view.txt; cat ${q(M)}/open-view.txt; exec 3>&-`),
    '4\nabc\n',
  );
  assert.equal(await fs.readFile(path.join(R, 'open-view.txt'), 'utf8'), 'abc\n');
  // Shrinking: stat and ls at once.
  await ok(`echo tiny > ${q(f)}`);
  assert.equal(await statc('%s', f), '5');
  assert.equal(await ok(`cat ${q(f)}`), 'tiny\n');
});

test('after changes at the top of the mount and in a folder, stat and ls of both still agree with the service', async () => {
  // The kernel asks for the folders' own attributes again once --attr-timeout (1 s) has passed.
  await ok(`echo a > ${q(M)}/top-level.txt && mkdir -p ${q(M)}/lsdir && echo b > ${q(M)}/lsdir/inside.txt`);
  await ok(`rm ${q(M)}/top-level.txt ${q(M)}/lsdir/inside.txt && echo c > ${q(M)}/lsdir/other.txt`);
  await sleep(1500);
  await ok(`stat ${q(M)} ${q(M)}/lsdir > /dev/null`);
  for (const dir of ['', 'lsdir']) {
    const here = (await ok(`ls -A ${q(path.join(M, dir))}`)).trim().split('\n').sort();
    assert.deepEqual(here, (await fs.readdir(path.join(R, dir))).sort(), `ls -A of /${dir}`);
    assert.equal(await statc('%Y', path.join(M, dir)), await statc('%Y', path.join(R, dir)), `time of /${dir}`);
  }
});

test('a second mount of the same drive sees a change once its caches expire', async () => {
  const other = await mount(drive, ['--read-only', '--dir-cache-time', '2', '--attr-timeout', '1']);
  try {
    const there = path.join(other.mnt, 'other-mount.txt');
    assert.equal(await ok(`cat ${q(there)}`), 'before\n');
    await fs.writeFile(path.join(L, 'om.bin'), randomBytes(20_000));
    await ok(`cp ${q(L)}/om.bin ${q(M)}/other-mount.txt`);
    await sleep(4000); // --dir-cache-time 2 + --attr-timeout 1, with a margin
    assert.equal(await statc('%s', there), '20000');
    await assertSame(there, path.join(L, 'om.bin'));
    // And a mount started after the change sees it straight away.
    const third = await mount(drive, ['--read-only']);
    try {
      await assertSame(path.join(third.mnt, 'other-mount.txt'), path.join(L, 'om.bin'));
    } finally {
      await third.unmount();
    }
  } finally {
    await other.unmount();
  }
});

test('names OneDrive refuses fail with "Invalid argument" and create nothing', async () => {
  const beforeList = await snapshot(R);
  const s0 = await drive.stats();
  await fails(`touch ${q(M)}/'a:b.txt'`, 'Invalid argument');
  await fails(`mkdir ${q(M)}/'x|y'`, 'Invalid argument');
  await fails(`echo hi > ${q(M)}/'trailing.'`, 'Invalid argument');
  await fails(`echo hi > ${q(M)}/'what?.txt'`, 'Invalid argument');
  await fails(`mkdir ${q(M)}/' leading space'`, 'Invalid argument');
  await fails(`touch ${q(M)}/desktop.ini`, 'Invalid argument');
  await fails(`mkdir -p ${q(M)}/'ok-dir/bad*dir'`, 'Invalid argument');
  // rename(2) to a refused name: EINVAL (mv would word that as "to a subdirectory of itself").
  await assert.rejects(fs.rename(path.join(M, 'append.txt'), path.join(M, 'append<1>.txt')), { code: 'EINVAL' });
  await assert.rejects(fs.rename(path.join(M, 'a'), path.join(M, 'CON')), { code: 'EINVAL' });
  await fails(`cp ${q(L)}/append.txt ${q(M)}/'quote".txt'`, 'Invalid argument');
  // The one legal step (ok-dir) may exist; nothing else changed and nothing was uploaded.
  await fs.rm(path.join(R, 'ok-dir'), { recursive: true, force: true });
  assert.equal(await snapshot(R), beforeList);
  const s = delta(s0, await drive.stats());
  assert.equal(s.simpleUpload, 0, JSON.stringify(s));
  assert.equal(s.uploadSession, 0, JSON.stringify(s));
  assert.equal(s.patch, 0, JSON.stringify(s));
  assert.ok(await fs.stat(path.join(R, 'append.txt')));
});

test('symlinks and hard links answer "Operation not permitted"', async () => {
  await ok(`echo target > ${q(M)}/link-target.txt`);
  await fails(`ln -s link-target.txt ${q(M)}/sym`, 'Operation not permitted');
  await fails(`ln ${q(M)}/link-target.txt ${q(M)}/hard`, 'Operation not permitted');
  assert.deepEqual((await filesIn(R)).filter((n) => n === 'sym' || n === 'hard'), []);
  await fails(`stat ${q(M)}/sym`, 'No such file or directory');
  assert.equal(await fs.readFile(path.join(R, 'link-target.txt'), 'utf8'), 'target\n');
});

test('chmod and chown succeed and change nothing', async () => {
  const f = path.join(M, 'perm.txt');
  const before = await statc('%a %u %g %s %Y', f);
  assert.equal(before, `644 ${process.getuid!()} ${process.getgid!()} 15 ${Date.parse('2020-02-03T04:05:06Z') / 1000}`);
  const rBefore = await statc('%s %Y', path.join(R, 'perm.txt'));
  const s0 = await drive.stats();
  await ok(`chmod 600 ${q(f)}`);
  await ok(`chmod a+x ${q(f)}`);
  await ok(`chown 1234:1234 ${q(f)}`);
  await ok(`chmod 700 ${q(M)}/a`);
  assert.equal(await statc('%a %u %g %s %Y', f), before);
  assert.equal(await statc('%a', path.join(M, 'a')), '755');
  assert.equal(await statc('%s %Y', path.join(R, 'perm.txt')), rBefore);
  assert.equal(await fs.readFile(path.join(R, 'perm.txt'), 'utf8'), 'mode and owner\n');
  const s = delta(s0, await drive.stats());
  assert.equal(s.patch + s.simpleUpload + s.uploadSession + s.delete + s.mkdir, 0, JSON.stringify(s));
});

test('a --read-only mount refuses every change with "Read-only file system"', async () => {
  const ro = await mount(drive, ['--read-only']);
  try {
    const X = ro.mnt;
    const beforeSnap = await snapshot(R);
    await ok(`mkdir -p ${q(L)}/ro-src/sub && echo s > ${q(L)}/ro-src/sub/s.txt && tar -cf ${q(L)}/ro.tar -C ${q(L)}/ro-src .`);
    const cmds = [
      `touch ${q(X)}/new.txt`,
      `echo x > ${q(X)}/new.txt`,
      `echo x > ${q(X)}/ro.txt`,
      `echo x >> ${q(X)}/ro.txt`,
      `truncate -s 2 ${q(X)}/ro.txt`,
      `dd if=/dev/zero of=${q(X)}/ro.txt bs=1 count=1 conv=notrunc status=none`,
      `touch -d 2020-01-01 ${q(X)}/ro.txt`,
      `cp ${q(L)}/append.txt ${q(X)}/copied.txt`,
      `cp -p ${q(L)}/append.txt ${q(X)}/ro.txt`,
      `mkdir ${q(X)}/newdir`,
      `mkdir -p ${q(X)}/ro-dir/a/b`,
      `rmdir ${q(X)}/ro-dir`,
      `rm -f ${q(X)}/ro.txt`,
      `rm -rf ${q(X)}/ro-dir`,
      `mv ${q(X)}/ro.txt ${q(X)}/moved.txt`,
      `mv ${q(X)}/ro-dir ${q(X)}/moved-dir`,
      `ln -s ro.txt ${q(X)}/sym`,
      `ln ${q(X)}/ro.txt ${q(X)}/hard`,
      `chmod 600 ${q(X)}/ro.txt`,
      `chown 0:0 ${q(X)}/ro.txt`,
      `tar -xf ${q(L)}/ro.tar -C ${q(X)}`,
      `rsync -a ${q(L)}/ro-src/ ${q(X)}/`,
    ];
    const wrong: string[] = [];
    for (const cmd of cmds) {
      const r = await sh(cmd);
      if (r.code === 0 || !r.stderr.includes('Read-only file system')) wrong.push(`${cmd}\n  → exit ${r.code}: ${r.stderr.trim()}`);
    }
    assert.deepEqual(wrong, [], 'commands that did not fail with "Read-only file system"');
    assert.equal(await snapshot(R), beforeSnap, 'the drive changed under a read-only mount');
    assert.ok(isMounted(X));
  } finally {
    await ro.unmount();
  }
});

test('nothing is left in the cache folder after successful writes, and upload URLs got no Authorization header', async () => {
  assert.deepEqual(await filesIn(cacheDir), []);
  const s = await drive.stats(); // never reset in this file: every write above counts
  assert.ok(s.upload > 0 && s.simpleUpload > 0, `the checks above uploaded nothing? ${JSON.stringify(s)}`);
  assert.equal(s.uploadWithAuthorization, 0, JSON.stringify(s));
  assert.ok(isMounted(M));
  assert.equal(m.proc.exitCode, null);
});
