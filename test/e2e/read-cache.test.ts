import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startDrive, mount, sh, waitFor, SERVICES, type DriveFixture, type MountFixture } from '../helpers/harness.js';

// The on-disk read cache (--cache-mode full), for every driver: it sits on the content
// interface, so the same behaviour is expected of each. Per service: one drive, mounts in turn
// sharing one cache folder (a later mount is a "restart").
const KiB = 1024;
const MiB = 1024 * KiB;

for (const service of SERVICES) describe(service, () => {
  const a = randomBytes(512 * KiB);
  const b = randomBytes(768 * KiB);
  const c = randomBytes(300 * KiB);
  const shared = randomBytes(6 * MiB);
  const served = randomBytes(2 * MiB);
  const partial = randomBytes(40 * MiB); // room for a jump further than the read-ahead reads through (24 MiB)
  let drive: DriveFixture;
  let m: MountFixture | undefined;
  let cacheDir: string;

  before(async () => {
    drive = await startDrive({
      service,
      seed: async (root) => {
        await fs.writeFile(path.join(root, 'a.bin'), a);
        await fs.writeFile(path.join(root, 'b.bin'), b);
        await fs.writeFile(path.join(root, 'c.bin'), c);
        await fs.writeFile(path.join(root, 'd.txt'), 'version one\n');
        await fs.writeFile(path.join(root, 'shared.bin'), shared);
        await fs.writeFile(path.join(root, 'partial.bin'), partial);
        await fs.writeFile(path.join(root, 'w.txt'), 'written before\n');
        await fs.writeFile(path.join(root, 'e.bin'), served);
      },
    });
    cacheDir = path.join(drive.tmp, 'cache');
  });

  after(async () => {
    await m?.unmount();
    await drive?.close();
  });

  const downloaded = async () => (await drive.stats()).downloadBytes ?? 0;
  const readFile = (name: string) => fs.readFile(path.join(m!.mnt, name));
  const remount = async (args: string[]) => {
    await m?.unmount();
    m = await mount(drive, ['--cache-mode', 'full', '--cache-dir', cacheDir, ...args]);
  };
  /** Downloads still running (a handle's read-ahead) have ended: the emulator's count (taken as each answer ends) stood still for 500 ms. */
  const settled = async () => {
    let last = -1;
    await waitFor(async () => {
      const now = await downloaded();
      const still = now === last;
      last = now;
      await new Promise((r) => setTimeout(r, 500));
      return still;
    }, 'downloads to settle');
  };

  test('a cached re-read costs 0 bytes; a remote change is read anew, never the old bytes', async () => {
    // Listings are looked up at every open, so a change on the service is seen at the next open.
    await remount(['--read-only', '--dir-cache-time', '0']);
    assert.ok((await readFile('a.bin')).equals(a));
    await drive.resetStats();
    assert.ok((await readFile('a.bin')).equals(a));
    assert.equal(await downloaded(), 0, 'the re-read went to the service');

    assert.equal((await readFile('d.txt')).toString(), 'version one\n');
    await fs.writeFile(path.join(drive.root, 'd.txt'), 'version two\n'); // same size, new version
    await new Promise((r) => setTimeout(r, 1100)); // the kernel's attribute cache (1 s) lets go of the old entry
    await drive.resetStats();
    assert.equal((await readFile('d.txt')).toString(), 'version two\n');
    assert.equal(await downloaded(), 'version two\n'.length, 'the new version was not fetched');
  });

  test('cached bytes flipped on disk fail the hash: EIO and one log line, then the file is fetched again', async () => {
    await remount(['--read-only']);
    assert.ok((await readFile('c.bin')).equals(c));
    const dataFiles = await fs.readdir(path.join(cacheDir, 'read-cache'));
    let flipped = 0;
    for (const name of dataFiles) {
      const file = path.join(cacheDir, 'read-cache', name);
      if ((await fs.stat(file)).size !== c.length) continue;
      const fh = await fs.open(file, 'r+');
      await fh.write(Buffer.from([c[4242]! ^ 0x55]), 0, 1, 4242);
      await fh.close();
      flipped++;
    }
    assert.equal(flipped, 1, `not one data file of c.bin among ${dataFiles.join(', ')}`);
    const before = m!.log().length;
    const bad = await sh(`cat ${m!.mnt}/c.bin > /dev/null`);
    assert.notEqual(bad.code, 0, 'a read of corrupted cached bytes succeeded');
    assert.match(bad.stderr, /Input\/output error/);
    // One line at a level a user sees (warn and above); the kernel asking again is logged at debug only.
    const lines = m!.log().slice(before).split('\n').filter((l) => /do not match the service's (QuickXorHash|SHA-1)/.test(l));
    const seen = lines.filter((l) => Number(/"level":(\d+)/.exec(l)?.[1]) >= 40);
    assert.equal(seen.length, 1, `not one log line for the mismatch:\n${lines.join('\n')}`);
    assert.match(seen[0]!, /"level":50/);
    await drive.resetStats();
    assert.ok((await readFile('c.bin')).equals(c));
    assert.equal(await downloaded(), c.length, 'the dropped copy was not fetched again');
  });

  test('without the cache too, a whole read whose bytes differ from the listed hash is EIO and one log line', async () => {
    // The service's bytes change under a listing the mount still trusts (no polling, listings
    // kept 300 s): what arrives is not what the listed hash names, as with a corrupt transfer.
    await m?.unmount();
    m = await mount(drive, ['--read-only', '--poll-interval', '0']);
    assert.equal((await fs.stat(path.join(m.mnt, 'e.bin'))).size, served.length);
    const other = Buffer.from(served);
    other[123456] ^= 0x01;
    await fs.writeFile(path.join(drive.root, 'e.bin'), other);
    const before = m.log().length;
    const bad = await sh(`cat ${m.mnt}/e.bin > /dev/null`);
    assert.notEqual(bad.code, 0, 'a read of bytes that fail the hash succeeded');
    assert.match(bad.stderr, /Input\/output error/);
    const seen = m.log().slice(before).split('\n').filter((l) => Number(/"level":(\d+)/.exec(l)?.[1]) >= 40);
    assert.equal(seen.length, 1, `not one log line at warn or above:\n${seen.join('\n')}`);
    assert.match(seen[0]!, /e\.bin: the bytes read do not match the service's (QuickXorHash|SHA-1)/);
    await m.unmount();
    m = undefined;
  });

  test('two readers of one file at once share one fetch', async () => {
    await remount(['--read-only']);
    await drive.resetStats();
    const [x, y] = await Promise.all([readFile('shared.bin'), readFile('shared.bin')]);
    assert.ok(x.equals(shared) && y.equals(shared));
    await settled();
    assert.equal(await downloaded(), shared.length, 'bytes were fetched twice');
  });

  test('reads beyond the cached ranges fetch only what is missing', async () => {
    await remount(['--read-only']);
    await drive.resetStats();
    // A header, then a jump into the middle (a player probing a video): each handle's
    // read-ahead is let finish before close so that what it fetched is cached, not cut.
    const fh = await fs.open(path.join(m!.mnt, 'partial.bin'), 'r');
    const head = Buffer.alloc(64 * KiB);
    await fh.read(head, 0, head.length, 0);
    const mid = Buffer.alloc(64 * KiB);
    await fh.read(mid, 0, mid.length, 32 * MiB);
    await settled();
    await fh.close();
    assert.ok(head.equals(partial.subarray(0, 64 * KiB)) && mid.equals(partial.subarray(32 * MiB, 32 * MiB + 64 * KiB)));
    const first = await downloaded();
    assert.ok(first > 0 && first < partial.length, `the probe fetched ${first} bytes`);
    await drive.resetStats();
    assert.ok((await readFile('partial.bin')).equals(partial));
    assert.equal(await downloaded(), partial.length - first, 'bytes already cached were fetched again');
    await drive.resetStats();
    // Seeking back over cached bytes costs nothing.
    const again = await fs.open(path.join(m!.mnt, 'partial.bin'), 'r');
    const back = Buffer.alloc(64 * KiB);
    await again.read(back, 0, back.length, 36 * MiB);
    await again.read(back, 0, back.length, 1 * MiB);
    await again.close();
    assert.ok(back.equals(partial.subarray(1 * MiB, 1 * MiB + 64 * KiB)));
    assert.equal(await downloaded(), 0, 'a seek over cached bytes went to the service');
  });

  test('a write through the mount replaces the cached copy: the next read has the new bytes', async () => {
    await remount([]);
    assert.equal((await readFile('w.txt')).toString(), 'written before\n');
    await drive.resetStats();
    assert.equal((await readFile('w.txt')).toString(), 'written before\n');
    assert.equal(await downloaded(), 0, 'w.txt was not cached');
    // Same length: only the cache's version rule tells the copies apart.
    await fs.writeFile(path.join(m!.mnt, 'w.txt'), 'written after!\n');
    assert.equal((await fs.readFile(path.join(drive.root, 'w.txt'))).toString(), 'written after!\n');
    await new Promise((r) => setTimeout(r, 1100)); // the kernel's attribute cache lets go of the old entry
    await drive.resetStats();
    assert.equal((await readFile('w.txt')).toString(), 'written after!\n');
    assert.ok((await downloaded()) <= 'written after!\n'.length, 'more than the new version was fetched');
    await drive.resetStats();
    assert.equal((await readFile('w.txt')).toString(), 'written after!\n');
    assert.equal(await downloaded(), 0, 'the new version is not served from the cache');
  });

  test('after a restart the cache still serves, and the size limit evicts the least recently used file', async () => {
    await remount(['--read-only']);
    assert.ok((await readFile('a.bin')).equals(a)); // cached already by the first test
    await remount(['--read-only', '--read-cache-size', '1']); // more than 1 MiB is held: eviction at open
    await drive.resetStats();
    assert.ok((await readFile('a.bin')).equals(a));
    assert.equal(await downloaded(), 0, 'the cache did not survive the restart');
    assert.ok((await readFile('b.bin')).equals(b)); // 512 + 768 KiB > 1 MiB: a.bin has to go
    await drive.resetStats();
    assert.ok((await readFile('a.bin')).equals(a));
    assert.equal(await downloaded(), a.length, 'a.bin was not evicted');
    const held = (await Promise.all((await fs.readdir(path.join(cacheDir, 'read-cache'))).filter((n) => n.endsWith('.data')).map(async (n) => (await fs.stat(path.join(cacheDir, 'read-cache', n))).blocks * 512)))
      .reduce((x, y) => x + y, 0);
    assert.ok(held <= 1 * MiB + 64 * KiB, `the cache's data files hold ${held} bytes on disk, over the 1 MiB limit`);
  });
});
