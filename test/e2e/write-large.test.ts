// Large files and parallel writers: bytes are compared with the source on the service's backing
// folder and through a fresh mount (nothing served from the writing mount's memory).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, MiB, SERVICES, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { q, ok, randomFile, assertSame, statc, filesIn, delta } from './write-helpers.js';

const GiB = 1024 * MiB;
for (const service of SERVICES) describe(service, () => {
  let drive: DriveFixture;
  let m: MountFixture | undefined;
  let cacheDir: string;
  let SRC: string;

  before(async () => {
    drive = await startDrive({ service });
    cacheDir = path.join(drive.tmp, 'cache');
    SRC = path.join(drive.tmp, 'src-1GiB.bin');
    await randomFile(SRC, GiB);
    m = await mount(drive, ['--cache-dir', cacheDir]);
  });

  after(async () => {
    await m?.unmount();
    await drive?.close();
  });

  test('cp of a 1 GiB file: identical on the service and through a fresh mount', async () => {
    const M = m!.mnt;
    const s0 = await drive.stats();
    await ok(`mkdir ${q(M)}/big && cp ${q(SRC)} ${q(M)}/big/one-GiB.bin`);
    assert.equal(await statc('%s', path.join(M, 'big/one-GiB.bin')), String(GiB));
    await assertSame(SRC, path.join(drive.root, 'big/one-GiB.bin'), 'on the service');
    const s = delta(s0, await drive.stats());
    assert.equal(s.uploadBytes, GiB, `bytes accepted by the service: ${JSON.stringify(s)}`);
    if (service === 'onedrive') {
      assert.equal(s.simpleUpload, 0, JSON.stringify(s));
      assert.equal(s.uploadSession, 1, JSON.stringify(s));
      assert.ok(s.upload >= Math.ceil(GiB / (10 * MiB)), `fragments: ${JSON.stringify(s)}`);
    } else {
      assert.ok(s.uploadPart >= Math.ceil(GiB / (20 * MiB)), `parts: ${JSON.stringify(s)}`);
    }
    assert.equal(s.uploadWithAuthorization, 0, `an upload URL got an Authorization header: ${JSON.stringify(s)}`);
    assert.deepEqual(await filesIn(cacheDir), [], 'the staged copy was not removed after the upload');

    await m!.unmount();
    m = undefined;
    m = await mount(drive, ['--read-only']);
    assert.equal(await statc('%s', path.join(m.mnt, 'big/one-GiB.bin')), String(GiB));
    await assertSame(SRC, path.join(m.mnt, 'big/one-GiB.bin'), 'through a fresh mount');
    await m.unmount();
    m = undefined;
    m = await mount(drive, ['--cache-dir', cacheDir]);
  });

  test('4 writers at once (dd and cp of ~32 MiB files) all commit identical bytes', async () => {
    const M = m!.mnt;
    const srcs = [0, 1, 2, 3].map((i) => path.join(drive.tmp, `par-${i}.bin`));
    for (const [i, s] of srcs.entries()) await randomFile(s, 32 * MiB + i * 123_457);
    await ok(`mkdir ${q(M)}/par`);
    const s0 = await drive.stats();
    const script = srcs
      .map((s, i) =>
        i % 2 === 0
          ? `(dd if=${q(s)} of=${q(M)}/par/p${i}.bin bs=1M status=none; echo "w${i}=$?") &`
          : `(cp ${q(s)} ${q(M)}/par/p${i}.bin; echo "w${i}=$?") &`,
      )
      .join('\n');
    const out = await ok(`${script}\nwait`);
    assert.deepEqual(out.trim().split('\n').sort(), ['w0=0', 'w1=0', 'w2=0', 'w3=0'], out);
    for (const [i, s] of srcs.entries()) {
      await assertSame(s, path.join(drive.root, `par/p${i}.bin`), `writer ${i} on the service`);
      await assertSame(s, path.join(M, `par/p${i}.bin`), `writer ${i} through the mount`);
    }
    const s = delta(s0, await drive.stats());
    const total = srcs.length * 32 * MiB + 123_457 * (0 + 1 + 2 + 3);
    assert.equal(s.uploadBytes, total, `bytes accepted by the service: ${JSON.stringify(s)}`);
    if (service === 'onedrive') assert.equal(s.uploadSession, 4, JSON.stringify(s));
    assert.equal(s.uploadWithAuthorization, 0, JSON.stringify(s));
    assert.deepEqual(await filesIn(cacheDir), []);
  });
});
