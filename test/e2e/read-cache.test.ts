import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startDrive, mount, sh, type DriveFixture, type MountFixture } from '../helpers/harness.js';

// One drive, two mounts in turn sharing one cache folder (the second is the "restart").
const KiB = 1024;
const a = randomBytes(512 * KiB);
const b = randomBytes(768 * KiB);
const c = randomBytes(300 * KiB);
let drive: DriveFixture;
let m: MountFixture | undefined;
let cacheDir: string;

before(async () => {
  drive = await startDrive({
    seed: async (root) => {
      await fs.writeFile(path.join(root, 'a.bin'), a);
      await fs.writeFile(path.join(root, 'b.bin'), b);
      await fs.writeFile(path.join(root, 'c.bin'), c);
      await fs.writeFile(path.join(root, 'd.txt'), 'version one\n');
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

test('first mount: a cached re-read costs 0 bytes, a remote change is read anew, flipped cache bytes fail the hash and are fetched again', async () => {
  // Listings are looked up at every open, so a change on the service is seen at the next open.
  m = await mount(drive, ['--read-only', '--cache-mode', 'full', '--cache-dir', cacheDir, '--dir-cache-time', '0']);

  assert.ok((await readFile('a.bin')).equals(a));
  await drive.resetStats();
  assert.ok((await readFile('a.bin')).equals(a));
  assert.equal(await downloaded(), 0, 'the re-read went to the service');

  assert.equal((await readFile('d.txt')).toString(), 'version one\n');
  await fs.writeFile(path.join(drive.root, 'd.txt'), 'version two\n'); // same size, new eTag
  await new Promise((r) => setTimeout(r, 1100)); // the kernel's attribute cache (1 s) lets go of the old entry
  assert.equal((await readFile('d.txt')).toString(), 'version two\n');

  assert.ok((await readFile('c.bin')).equals(c));
  const dataFiles = await fs.readdir(path.join(cacheDir, 'read-cache'));
  let flipped = false;
  for (const name of dataFiles) {
    const file = path.join(cacheDir, 'read-cache', name);
    if ((await fs.stat(file)).size !== c.length) continue;
    const fh = await fs.open(file, 'r+');
    await fh.write(Buffer.from([c[4242]! ^ 0x55]), 0, 1, 4242);
    await fh.close();
    flipped = true;
  }
  assert.ok(flipped, `no data file of c.bin among ${dataFiles.join(', ')}`);
  const bad = await sh(`cat ${m.mnt}/c.bin > /dev/null`);
  assert.notEqual(bad.code, 0, 'a read of corrupted cached bytes succeeded');
  assert.match(bad.stderr, /Input\/output error/);
  assert.match(m.log(), /do not match the service's QuickXorHash/);
  await drive.resetStats();
  assert.ok((await readFile('c.bin')).equals(c));
  assert.equal(await downloaded(), c.length, 'the dropped copy was fetched again');
  await m.unmount();
  m = undefined;
});

test('after a restart the cache still serves, and the size limit evicts the least recently used file', async () => {
  m = await mount(drive, ['--read-only', '--cache-mode', 'full', '--cache-dir', cacheDir, '--read-cache-size', '1']);
  await drive.resetStats();
  assert.ok((await readFile('a.bin')).equals(a));
  assert.equal(await downloaded(), 0, 'the cache did not survive the restart');
  assert.ok((await readFile('b.bin')).equals(b)); // 512 + 768 KiB > 1 MiB: a.bin has to go
  await drive.resetStats();
  assert.ok((await readFile('a.bin')).equals(a));
  assert.equal(await downloaded(), a.length, 'a.bin was not evicted');
});
