// --write-back: close() returns once the staged file and its record are durable; the upload
// follows. Killed right after cp returned, the next mount uploads it; fsync() still waits for the
// service; a second write before the upload folds into it; unmount waits for the queue.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exec, isMounted, mount, MiB, runCli, startDrive, waitFor, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { assertSame, delta, ok, q, randomFile, statc } from './write-helpers.js';

const fixtures: { d?: DriveFixture; m: MountFixture[] }[] = [];
after(async () => {
  for (const f of fixtures) {
    for (const m of f.m) await m.unmount().catch(() => undefined);
    await f.d?.close();
  }
});

async function setup(service: string, writeBack = '1') {
  const f: (typeof fixtures)[number] = { m: [] };
  fixtures.push(f);
  const d = (f.d = await startDrive({ service }));
  const cacheDir = path.join(d.tmp, 'cache');
  const mountIt = async (extra: string[] = ['--write-back', writeBack]) => {
    const m = await mount(d, ['--cache-dir', cacheDir, ...extra]);
    f.m.push(m);
    return m;
  };
  return { d, cacheDir, mountIt };
}

const onService = (d: DriveFixture, p: string) => fs.stat(path.join(d.root, p)).then(() => true, () => false);

for (const service of ['onedrive', 'aliyundrive']) {
  test(`${service}: kill -9 right after cp returned in write-back mode: the next mount commits the file, identical`, async () => {
    const { d, cacheDir, mountIt } = await setup(service, '30');
    const src = path.join(d.tmp, 'wb.bin');
    await randomFile(src, 24 * MiB);
    const m1 = await mountIt();
    await ok(`cp ${q(src)} ${q(m1.mnt)}/wb.bin`);
    // Until uploaded, the mount shows and serves its local bytes.
    assert.equal(await statc('%s', path.join(m1.mnt, 'wb.bin')), String(24 * MiB));
    await assertSame(src, path.join(m1.mnt, 'wb.bin'), 'read back before the upload');
    assert.equal(await onService(d, 'wb.bin'), false, 'not uploaded yet (30 s delay)');
    m1.proc.kill('SIGKILL');
    await m1.exited;
    if (isMounted(m1.mnt)) await exec('fusermount', ['-uz', m1.mnt]).catch(() => undefined);
    const m2 = await mountIt([]); // the next mount, in sync mode, recovers it
    await waitFor(() => m2.log().includes('recovery after a crash finished'), 'recovery', 120_000);
    await assertSame(src, path.join(d.root, 'wb.bin'), 'on the service');
    assert.deepEqual(await fs.readdir(cacheDir), []);
    await m2.unmount();
  });
}

test('write-back: the upload follows the delay; a second write before it folds in (one upload); fsync waits for the service; status lists the queue', async () => {
  const { d, cacheDir, mountIt } = await setup('onedrive', '2');
  const m = await mountIt();
  const s0 = await d.stats();
  await ok(`printf 'first ' > ${q(m.mnt)}/note.txt && printf 'second' >> ${q(m.mnt)}/note.txt`);
  assert.equal(await fs.readFile(path.join(m.mnt, 'note.txt'), 'utf8'), 'first second');
  const st = await runCli(['status', m.mnt, '--json']);
  const status = JSON.parse(st.stdout) as { mode: string; queued: { path: string }[] };
  assert.equal(status.mode, 'write-back');
  assert.deepEqual(status.queued.map((x) => x.path), ['/note.txt']);
  await waitFor(() => onService(d, 'note.txt'), 'the write-back upload', 20_000);
  await waitFor(async () => (await fs.readdir(cacheDir)).length === 0, 'staged copy gone after the upload', 10_000);
  assert.equal(await fs.readFile(path.join(d.root, 'note.txt'), 'utf8'), 'first second');
  assert.equal(delta(s0, await d.stats()).simpleUpload, 1, 'two closes, one upload: ' + m.log().split('\n').filter((l) => l.includes('note.txt')).join('\n'));

  // fsync: committed when it returns, whatever the delay.
  await ok(`dd if=/dev/urandom of=${q(m.mnt)}/synced.bin bs=1M count=2 conv=fsync status=none`);
  assert.equal((await fs.stat(path.join(d.root, 'synced.bin'))).size, 2 * MiB, 'on the service as dd returned');

  // Unmount waits for the queue.
  await ok(`head -c 100000 /dev/urandom > ${q(m.mnt)}/last.bin`);
  assert.equal(await onService(d, 'last.bin'), false);
  await m.unmount();
  assert.equal((await fs.stat(path.join(d.root, 'last.bin'))).size, 100000, 'uploaded before the mount exited');
  assert.match(m.log(), /waiting for 1 write-back upload/);
});

test('write-back: a failed upload is tried again until it succeeds (close() had returned 0), never dropped', async () => {
  const { d, cacheDir, mountIt } = await setup('onedrive', '1');
  const m = await mountIt();
  await d.setFaults({ quotaTotal: 1 * MiB });
  await ok(`head -c ${3 * MiB} /dev/urandom > ${q(m.mnt)}/retry.bin`); // close() succeeds: the bytes are safe locally
  await waitFor(() => /write-back of \/retry\.bin failed \(1 tries\)/.test(m.log()), 'the first failed try', 20_000);
  assert.equal(await onService(d, 'retry.bin'), false);
  assert.equal(await statc('%s', path.join(m.mnt, 'retry.bin')), String(3 * MiB), 'still shown with its local size');
  await d.setFaults({ quotaTotal: 1024 ** 4 });
  await waitFor(() => onService(d, 'retry.bin'), 'the retried upload', 30_000);
  assert.equal((await fs.stat(path.join(d.root, 'retry.bin'))).size, 3 * MiB);
  await waitFor(async () => (await fs.readdir(cacheDir)).length === 0, 'staged copy gone', 10_000);
  await m.unmount();
});

test('write-back: past --cache-max-size a close() waits for uploads to make room, and nothing fails', async () => {
  const { d, mountIt } = await setup('onedrive');
  const m = await mountIt(['--write-back', '0', '--cache-max-size', '1']);
  await d.setFaults({ latencyMs: 700 }); // each upload takes a while
  await ok(`head -c 700000 /dev/urandom > ${q(m.mnt)}/q1.bin`); // fits: returns before its upload
  assert.equal(await onService(d, 'q1.bin'), false, 'q1 still queued when its close returned');
  await ok(`head -c 700000 /dev/urandom > ${q(m.mnt)}/q2.bin`); // 1.4 MB would not fit: waits for q1
  assert.equal(await onService(d, 'q1.bin'), true, 'q2\'s close returned only once q1 was uploaded');
  await d.setFaults({ latencyMs: 0 });
  await waitFor(() => onService(d, 'q2.bin'), 'q2 uploaded');
  await m.unmount();
});

test('write-back: unmount --force does not wait for the queue; the next mount uploads what was left', async () => {
  const { d, mountIt } = await setup('onedrive', '60');
  const m = await mountIt();
  await ok(`head -c 300000 /dev/urandom > ${q(m.mnt)}/later.bin`);
  const r = await runCli(['unmount', '--force', m.mnt]);
  assert.equal(r.code, 0, r.stderr);
  await m.exited;
  assert.equal(await onService(d, 'later.bin'), false, 'not uploaded by the forced unmount');
  assert.match(m.log(), /1 write-back upload\(s\) left by unmount --force/);
  const m2 = await mountIt([]);
  await waitFor(() => m2.log().includes('recovery after a crash finished'), 'recovery', 60_000);
  assert.equal((await fs.stat(path.join(d.root, 'later.bin'))).size, 300000);
  await m2.unmount();
});
