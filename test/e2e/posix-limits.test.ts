// POSIX limits answered before anything is staged or sent, on real mounts of every service:
// names over NAME_MAX, names that are not valid UTF-8, sizes beyond the service's (or the cache
// filesystem's) largest file, and a full cache directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, sh, isMounted, waitFor, SERVICES, type DriveFixture, type MountFixture, type Service } from '../helpers/harness.js';
import { q, ok, fails, filesIn, snapshot } from './write-helpers.js';

const fixtures: { d?: DriveFixture; m?: MountFixture; cleanup?: () => Promise<void> }[] = [];
after(async () => {
  for (const f of fixtures) {
    await f.m?.unmount();
    await f.cleanup?.();
    await f.d?.close();
  }
});

async function seed(root: string): Promise<void> {
  await fs.writeFile(path.join(root, 'file.txt'), 'hello\n');
  await fs.mkdir(path.join(root, 'folder'));
}

async function setup(service: Service, cacheDir?: (tmp: string) => Promise<string>) {
  const f: (typeof fixtures)[number] = {};
  fixtures.push(f);
  f.d = await startDrive({ service, seed });
  const cache = cacheDir ? await cacheDir(f.d.tmp) : path.join(f.d.tmp, 'cache');
  f.m = await mount(f.d, ['--cache-dir', cache]);
  return { f, d: f.d, m: f.m, M: f.m.mnt, R: f.d.root, cache };
}

/** Every file in the cache directory, with its size (a staged copy left behind shows here). */
async function cacheFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await filesIn(dir)) out.push(`${n}:${(await fs.stat(path.join(dir, n))).size}`);
  return out;
}

const LONG = 'n'.repeat(256);

for (const service of SERVICES) {
  test(`${service}: a name over 255 bytes is ENAMETOOLONG for every operation, with nothing staged or sent`, async () => {
    const { M, R, cache } = await setup(service);
    const before = await snapshot(R);
    const L = `${M}/${LONG}`;
    const TOO_LONG = 'File name too long';
    await fails(`touch ${q(L)}`, TOO_LONG);
    await fails(`echo data > ${q(L)}`, TOO_LONG);
    await fails(`mkdir ${q(L)}`, TOO_LONG);
    await fails(`mv ${q(M)}/file.txt ${q(L)}`, TOO_LONG);
    await fails(`mv ${q(L)} ${q(M)}/x`, TOO_LONG);
    await fails(`rm ${q(L)}`, TOO_LONG);
    await fails(`rmdir ${q(L)}`, TOO_LONG);
    await fails(`truncate -s 0 ${q(L)}`, TOO_LONG);
    await fails(`stat ${q(L)}`, TOO_LONG);
    await fails(`touch ${q(M)}/folder/${LONG}`, TOO_LONG);
    // 255 bytes is a name like any other.
    await ok(`echo ok > ${q(M)}/${'m'.repeat(255)}`);
    assert.equal(await fs.readFile(path.join(R, 'm'.repeat(255)), 'utf8'), 'ok\n');
    await ok(`rm ${q(M)}/${'m'.repeat(255)}`);
    assert.equal(await snapshot(R), before);
    await assertNoStagedFiles(cache);
  });

  test(`${service}: names that are not valid UTF-8 are EINVAL for create, mkdir and rename; nothing is merged or overwritten`, async () => {
    const { M, R } = await setup(service);
    const before = await snapshot(R);
    // Two different byte strings that the binding would both turn into "caf\uFFFD".
    const py = (body: string) => `python3 -c ${q(`import os, sys\nm = os.fsencode(sys.argv[1])\n${body}`)} ${q(M)}`;
    await fails(py(`fd = os.open(m + b'/caf\\xe9', os.O_CREAT | os.O_WRONLY); os.write(fd, b'first'); os.close(fd)`), 'Invalid argument');
    await fails(py(`fd = os.open(m + b'/caf\\xe8', os.O_CREAT | os.O_WRONLY); os.write(fd, b'second'); os.close(fd)`), 'Invalid argument');
    await fails(py(`os.mkdir(m + b'/dir\\xff')`), 'Invalid argument');
    await fails(py(`os.rename(m + b'/file.txt', m + b'/caf\\xe9')`), 'Invalid argument');
    await fails(`touch ${q(M)}/$'bad\\xe9name'`, 'Invalid argument');
    assert.equal(await snapshot(R), before);
    assert.equal(await fs.readFile(path.join(R, 'file.txt'), 'utf8'), 'hello\n');
  });

  test(`${service}: truncate beyond the service's largest file is EFBIG at once; the staged copy is not extended`, async () => {
    const { M, R, cache } = await setup(service);
    // OneDrive takes files up to 250 GB; Aliyundrive's uploads reach about 26.8 TB (10,000 parts).
    const size = service === 'onedrive' ? '300G' : '30T';
    await fails(`truncate -s ${size} ${q(M)}/file.txt`, 'File too large');
    assert.equal(await fs.readFile(path.join(R, 'file.txt'), 'utf8'), 'hello\n');
    await fails(`truncate -s ${size} ${q(M)}/big.bin`, 'File too large');
    await fails(`exec 3<>${q(M)}/file.txt && truncate -s ${size} ${q(M)}/file.txt`, 'File too large');
    assert.equal(await fs.readFile(path.join(R, 'file.txt'), 'utf8'), 'hello\n');
    assert.equal((await fs.stat(path.join(M, 'file.txt'))).size, 6);
    await assertNoStagedFiles(cache);
    // truncate(1) created the file before resizing it: it stays, empty, as on a local disk.
    assert.equal((await fs.stat(path.join(R, 'big.bin'))).size, 0);
  });
}

/** The kernel sends RELEASE after close(2) has returned: the staging file may go a moment later. */
async function assertNoStagedFiles(cache: string): Promise<void> {
  await waitFor(async () => (await cacheFiles(cache)).length === 0, 'no staging file left', 5000).catch(() => undefined);
  assert.deepEqual(await cacheFiles(cache), []);
}

test('aliyundrive: a size the cache filesystem cannot hold (ext4: 16 TiB) is EFBIG from there, not EIO', async (t) => {
  const { M, R, cache } = await setup('aliyundrive');
  await fs.mkdir(cache, { recursive: true });
  const fsType = (await ok(`stat -f -c %T ${q(cache)}`)).trim();
  if (fsType !== 'ext2/ext3') {
    t.skip(`the cache directory is on ${fsType}, not ext4: its largest file is not known here`);
    return;
  }
  // 20 TiB: within what Aliyundrive takes, beyond what ext4 allows.
  await fails(`truncate -s 20T ${q(M)}/file.txt`, 'File too large');
  assert.equal(await fs.readFile(path.join(R, 'file.txt'), 'utf8'), 'hello\n');
  await assertNoStagedFiles(cache);
});

for (const service of SERVICES) {
  test(`${service}: the cache directory full: the writer gets ENOSPC, the bytes written so far stay, the mount stays up`, async (t) => {
    let mounted = '';
    const { M, R, f } = await setup(service, async (tmp) => {
      const dir = path.join(tmp, 'small-cache');
      await fs.mkdir(dir);
      const r = await sh(`mount -t tmpfs -o size=4m tmpfs ${q(dir)}`);
      if (r.code === 0) mounted = dir;
      return dir;
    });
    if (!mounted) {
      t.skip('cannot mount a 4 MiB tmpfs as the cache directory (needs root)');
      return;
    }
    f.cleanup = async () => {
      await sh(`umount ${q(mounted)}`);
    };
    const r = await sh(`head -c 8M /dev/zero > ${q(M)}/big.bin`);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes('No space left on device'), `expected ENOSPC, got: ${r.stderr}`);
    const m = fixtures.find((x) => x === f)!.m!;
    assert.ok(isMounted(M), 'the mount is still there');
    assert.equal(m.proc.exitCode, null, 'the mount process is still running');
    // What was written before the disk filled is the file now: on the service after the close.
    const kept = await fs.stat(path.join(R, 'big.bin'));
    assert.ok(kept.size > 0 && kept.size <= 4 << 20, `${kept.size} bytes kept`);
    assert.equal((await fs.stat(path.join(M, 'big.bin'))).size, kept.size);
    // Room again: writing goes on.
    await ok(`rm ${q(M)}/big.bin && echo fits > ${q(M)}/small.txt`);
    assert.equal(await fs.readFile(path.join(R, 'small.txt'), 'utf8'), 'fits\n');
    assert.doesNotMatch(m.log(), /"errno":"EIO"/);
  });
}
