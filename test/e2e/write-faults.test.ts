// Writing while the service misbehaves: failed and cut upload fragments, a 429 storm, a full
// drive. Bytes are compared with the backing folder; the emulator's counters prove the faults
// really happened.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, MiB, isMounted, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { q, ok, randomFile, assertSame, cmp, filesIn, delta, pathsNamedIn, statc } from './write-helpers.js';
import { sh } from '../helpers/harness.js';

const fixtures: { d?: DriveFixture; m?: MountFixture }[] = [];
after(async () => {
  for (const f of fixtures) {
    await f.m?.unmount();
    await f.d?.close();
  }
});

async function setup(opts: { seed?: (root: string) => Promise<void>; emulatorArgs?: string[] } = {}) {
  const f: { d?: DriveFixture; m?: MountFixture } = {};
  fixtures.push(f);
  f.d = await startDrive(opts);
  const cacheDir = path.join(f.d.tmp, 'cache');
  f.m = await mount(f.d, ['--cache-dir', cacheDir, '--chunk-size', '1.25']);
  return { d: f.d, m: f.m, M: f.m.mnt, R: f.d.root, cacheDir };
}

test('failed (every 3rd) and cut (every 4th) upload fragments: a 50 MiB file is still committed identically', async () => {
  const { d, m, M, R, cacheDir } = await setup();
  const src = path.join(d.tmp, 'storm.bin');
  await randomFile(src, 50 * MiB + 4321);
  await d.setFaults({ failFragmentEvery: 3, cutFragmentEvery: 4, retryAfterSec: 1 });
  const s0 = await d.stats();
  await ok(`cp ${q(src)} ${q(M)}/storm.bin`);
  const s = delta(s0, await d.stats());
  await assertSame(src, path.join(R, 'storm.bin'), 'on the service');
  await assertSame(src, path.join(M, 'storm.bin'), 'through the mount');
  assert.ok(s.fragmentFailed > 0, `no fragment failed: ${JSON.stringify(s)}`);
  assert.ok(s.fragmentCut > 0, `no fragment was cut: ${JSON.stringify(s)}`);
  assert.ok(s.upload >= 41 + s.fragmentFailed + s.fragmentCut, `fragments: ${JSON.stringify(s)}`);
  // Resumed where the service stood: one session, every byte accepted exactly once.
  assert.equal(s.uploadSession, 1, JSON.stringify(s));
  assert.equal(s.uploadBytes, 50 * MiB + 4321, JSON.stringify(s));
  assert.equal(s.uploadWithAuthorization, 0, `an upload URL got an Authorization header: ${JSON.stringify(s)}`);
  assert.deepEqual(await filesIn(cacheDir), []);
  assert.ok(isMounted(M) && m.proc.exitCode === null);
});

test('a harsher storm (every 2nd fragment fails, every 3rd cut) still commits identical bytes', async () => {
  const { d, M, R } = await setup();
  const src = path.join(d.tmp, 'harsh.bin');
  await randomFile(src, 20 * MiB + 17);
  await d.setFaults({ failFragmentEvery: 2, cutFragmentEvery: 3, retryAfterSec: 1 });
  const s0 = await d.stats();
  await ok(`cp ${q(src)} ${q(M)}/harsh.bin`);
  const s = delta(s0, await d.stats());
  await assertSame(src, path.join(R, 'harsh.bin'), 'on the service');
  assert.ok(s.fragmentFailed >= 10 && s.fragmentCut > 0, JSON.stringify(s));
  assert.equal(s.uploadBytes, 20 * MiB + 17, JSON.stringify(s));
  assert.equal(s.uploadWithAuthorization, 0, JSON.stringify(s));
});

test('a 429 storm (every 3rd API call) while writing a 50 MiB file and small files: everything committed', async () => {
  const { d, M, R } = await setup();
  const src = path.join(d.tmp, 'throttled.bin');
  await randomFile(src, 50 * MiB + 99);
  const small = path.join(d.tmp, 'small.bin');
  await randomFile(small, 100_000);
  await d.setFaults({ throttleEvery: 3, retryAfterSec: 1 });
  const s0 = await d.stats();
  await ok(`mkdir ${q(M)}/t && cp ${q(src)} ${q(M)}/t/big.bin`);
  for (let i = 0; i < 4; i++) await ok(`cp ${q(small)} ${q(M)}/t/small-${i}.bin`);
  await ok(`echo one > ${q(M)}/t/log.txt && echo two >> ${q(M)}/t/log.txt && mv ${q(M)}/t/small-0.bin ${q(M)}/t/moved.bin`);
  const s = delta(s0, await d.stats());
  await assertSame(src, path.join(R, 't/big.bin'), 'on the service');
  for (const n of ['moved.bin', 'small-1.bin', 'small-2.bin', 'small-3.bin']) await assertSame(small, path.join(R, 't', n), n);
  assert.equal(await fs.readFile(path.join(R, 't/log.txt'), 'utf8'), 'one\ntwo\n');
  assert.ok(s.throttled > 0, `nothing was throttled: ${JSON.stringify(s)}`);
  assert.equal(s.uploadWithAuthorization, 0, JSON.stringify(s));
});

test('a full drive: cp fails with "No space left on device", the mount stays up, and the written bytes are kept in the cache folder', async () => {
  const { d, m, M, R, cacheDir } = await setup({
    seed: async (root) => {
      await fs.writeFile(path.join(root, 'already-there.bin'), Buffer.alloc(MiB, 7));
    },
  });
  const used = Number((await ok(`du -sb --apparent-size ${q(R)}`)).split('\t')[0]);
  await d.setFaults({ quotaTotal: used + 3 * MiB });
  const big = path.join(d.tmp, 'too-big.bin');
  await randomFile(big, 8 * MiB + 5);

  // Through an upload session (over 4 MiB).
  const s0 = await d.stats();
  const r = await sh(`cp ${q(big)} ${q(M)}/too-big.bin`);
  assert.notEqual(r.code, 0, 'cp of a file larger than the free space succeeded');
  assert.match(r.stderr, /No space left on device/, r.stderr);
  assert.ok((await d.stats()).quotaExceeded > s0.quotaExceeded, 'the service never refused for quota');
  await assert.rejects(fs.stat(path.join(R, 'too-big.bin')), { code: 'ENOENT' });
  // The mount is still up and serving.
  assert.ok(isMounted(M));
  assert.equal(m.proc.exitCode, null);
  assert.equal((await fs.readFile(path.join(M, 'already-there.bin'))).length, MiB);
  // The log names the kept file, which holds exactly the bytes cp wrote.
  const named = pathsNamedIn(m.log(), cacheDir);
  assert.ok(named.length > 0, `the log names no file under ${cacheDir}:\n${m.log().slice(-3000)}`);
  const same: string[] = [];
  for (const p of named) if ((await cmp(p, big).catch(() => ({ code: 2, out: '' }))).code === 0) same.push(p);
  assert.equal(same.length, 1, `no file named in the log holds the written bytes; named: ${named.join(', ')}`);
  assert.ok(same[0]!.startsWith(cacheDir + '/'));

  // A file that fits still goes through (simple upload), then one that no longer fits fails too.
  const fits = path.join(d.tmp, 'fits.bin');
  await randomFile(fits, 2 * MiB);
  await ok(`cp ${q(fits)} ${q(M)}/fits.bin`);
  await assertSame(fits, path.join(R, 'fits.bin'));
  const second = path.join(d.tmp, 'second.bin');
  await randomFile(second, 2 * MiB + 1);
  const r2 = await sh(`cp ${q(second)} ${q(M)}/second.bin`);
  assert.notEqual(r2.code, 0, 'cp of a second file beyond the quota succeeded');
  assert.match(r2.stderr, /No space left on device/, r2.stderr);
  await assert.rejects(fs.stat(path.join(R, 'second.bin')), { code: 'ENOENT' });
  const named2 = pathsNamedIn(m.log(), cacheDir);
  let kept2 = false;
  for (const p of named2) if ((await cmp(p, second).catch(() => ({ code: 2, out: '' }))).code === 0) kept2 = true;
  assert.ok(kept2, `the bytes of second.bin are not in any file the log names: ${named2.join(', ')}`);

  // Space freed: writing works again on the same mount.
  await d.setFaults({ quotaTotal: 1024 ** 4 });
  await ok(`cp ${q(big)} ${q(M)}/later.bin`);
  await assertSame(big, path.join(R, 'later.bin'));
  assert.equal(await statc('%s', path.join(M, 'later.bin')), String(8 * MiB + 5));
  assert.equal((await d.stats()).uploadWithAuthorization, 0);
});
