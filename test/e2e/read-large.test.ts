import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ensureRandomFile } from '../../src/cli/demo-content.js';
import { startDrive, mount, sh, sha256, MiB, SERVICES, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const BIG = 256 * MiB;

// The same programs against every service's driver, through real mounts.
for (const service of SERVICES) describe(service, () => {
  let drive: DriveFixture;
  let m: MountFixture;
  let src: string;

  before(async () => {
    drive = await startDrive({ service, seed: (root) => ensureRandomFile(path.join(root, 'big.bin'), BIG) });
    src = path.join(drive.root, 'big.bin');
    m = await mount(drive, ['--read-only']);
  });

  after(async () => {
    await m?.unmount();
    await drive?.close();
  });

  test('cp of a 256 MiB file gives identical bytes (cmp and sha256)', async () => {
    const copy = path.join(drive.tmp, 'copy.bin');
    const r = await sh(`cp ${m.mnt}/big.bin ${copy} && cmp ${src} ${copy}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256(copy), await sha256(src));
    await fs.rm(copy);
  });

  test('dd at random offsets returns the same bytes as the source', async () => {
    const bs = 65536;
    for (let i = 0; i < 12; i++) {
      const block = Math.floor(Math.random() * (BIG / bs - 1));
      const r = await sh(
        `cmp <(dd if=${m.mnt}/big.bin bs=${bs} skip=${block} count=3 status=none) <(dd if=${src} bs=${bs} skip=${block} count=3 status=none)`,
      );
      assert.equal(r.code, 0, `block ${block}: ${r.stdout}${r.stderr}`);
    }
    // Odd, unaligned sizes too.
    const r = await sh(`cmp <(dd if=${m.mnt}/big.bin bs=1 skip=123456789 count=4099 status=none) <(dd if=${src} bs=1 skip=123456789 count=4099 status=none)`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('tail -c of a large file reads only its end', async () => {
    await drive.resetStats();
    const r = await sh(`cmp <(tail -c 100000 ${m.mnt}/big.bin) <(tail -c 100000 ${src})`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = await drive.stats();
    // A seek to the end costs one small ranged request, not a download of the file.
    assert.ok((s.download ?? 0) <= 2, JSON.stringify(s));
  });

  test('a media-player pattern (start, jump to the end, back) costs one request per jump', async () => {
    await drive.resetStats();
    const script = [
      `exec 3<${m.mnt}/big.bin`,
      `dd bs=65536 count=1 status=none <&3 >/dev/null`, // header
      `dd bs=65536 skip=$(( ${BIG} / 65536 - 2 )) count=1 status=none <&3 >/dev/null`, // index at the end
      `dd bs=65536 skip=2000 count=1 status=none <&3 >/dev/null`, // playback somewhere in the middle
    ].join('; ');
    const r = await sh(script);
    assert.equal(r.code, 0, r.stderr);
    const s = await drive.stats();
    assert.ok((s.download ?? 0) <= 4, `download requests: ${JSON.stringify(s)}`);
  });

  test('4 concurrent readers all get identical bytes', async () => {
    const outs = [0, 1, 2, 3].map((i) => path.join(drive.tmp, `c${i}.bin`));
    const r = await sh(outs.map((o, i) => `dd if=${m.mnt}/big.bin of=${o} bs=1M skip=${i * 16} count=96 status=none &`).join(' ') + ' wait');
    assert.equal(r.code, 0, r.stderr);
    for (const [i, o] of outs.entries()) {
      const c = await sh(`cmp ${o} <(dd if=${src} bs=1M skip=${i * 16} count=96 status=none)`);
      assert.equal(c.code, 0, c.stdout + c.stderr);
      await fs.rm(o);
    }
  });
});
