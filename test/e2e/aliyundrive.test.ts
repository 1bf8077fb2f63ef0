// Aliyundrive Open through a real mount: the shared behaviours (listing, reading, writing) and
// what is particular to this service (paging by 100, rate limits, trash vs delete, drive types,
// account states). Part failures and rapid upload, alike through the legacy API: aliyundrive-writes.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureRandomFile } from '../../src/cli/demo-content.js';
import { startDrive, mount, sh, runCli, MiB, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const fixtures: { d?: DriveFixture; m?: MountFixture }[] = [];
after(async () => {
  for (const f of fixtures.reverse()) {
    await f.m?.unmount();
    await f.d?.close();
  }
});

async function setup(opts: { seed?: (root: string) => Promise<void>; emulatorArgs?: string[]; remote?: Record<string, unknown>; mountArgs?: string[] } = {}) {
  const f: { d?: DriveFixture; m?: MountFixture } = {};
  fixtures.push(f);
  f.d = await startDrive({ service: 'aliyundrive', seed: opts.seed, emulatorArgs: opts.emulatorArgs, remote: opts.remote });
  f.m = await mount(f.d, ['--cache-dir', path.join(f.d.tmp, 'cache'), ...(opts.mountArgs ?? [])]);
  return { d: f.d, m: f.m };
}

test('ls -l of 250 entries costs 3 listing pages (limit 100) and nothing per file; reads are identical', async () => {
  const { d, m } = await setup({
    seed: async (root) => {
      await fs.mkdir(path.join(root, 'many'));
      for (let i = 0; i < 250; i++) await fs.writeFile(path.join(root, 'many', `f${String(i).padStart(3, '0')}.txt`), `${i}\n`);
      await ensureRandomFile(path.join(root, 'big.bin'), 96 * MiB);
    },
  });
  await d.resetStats();
  const ls = await sh(`ls -l ${m.mnt}/many`);
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout.trim().split('\n').filter((l) => l.startsWith('-')).length, 250);
  const s = await d.stats();
  assert.equal(s.list, 3 + 1, `listing calls: ${JSON.stringify(s)}`); // the root (to find "many"), then 3 pages
  assert.equal(s.get ?? 0, 0);
  const again = await sh(`ls -l ${m.mnt}/many > /dev/null`);
  assert.equal(again.code, 0);
  assert.equal((await d.stats()).list, 4, 'a repeated ls within the cache time listed again');
  const cmp = await sh(`cmp ${m.mnt}/big.bin ${d.root}/big.bin && cmp <(tail -c 100000 ${m.mnt}/big.bin) <(tail -c 100000 ${d.root}/big.bin)`);
  assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  const after = await d.stats();
  assert.equal(after.concurrencyRefused ?? 0, 0, 'more than 3 downloads were in flight');
  assert.equal(after.downloadWithAuthorization ?? 0, 0);
});

test('writing: cp in parts, echo, append, mkdir -p, mv, rm; bytes identical on the service', async () => {
  const { d, m } = await setup();
  const src = path.join(d.tmp, 'src.bin');
  await fs.writeFile(src, randomBytes(45 * MiB)); // 3 parts of 20 MiB
  const r = await sh(
    [
      `cp ${src} ${m.mnt}/up.bin`,
      `echo one > ${m.mnt}/t.txt`,
      `echo two >> ${m.mnt}/t.txt`,
      `mkdir -p ${m.mnt}/a/b/c`,
      `mv ${m.mnt}/t.txt ${m.mnt}/a/b/c/moved.txt`,
      `mv ${m.mnt}/a/b ${m.mnt}/b2`,
      `echo gone > ${m.mnt}/gone.txt`,
    ].join(' && '),
  );
  assert.equal(r.code, 0, r.stderr);
  const trashedBefore = (await d.stats()).trash ?? 0;
  assert.equal((await sh(`rm ${m.mnt}/gone.txt`)).code, 0);
  assert.equal((await sh(`cmp ${src} ${d.root}/up.bin`)).code, 0);
  assert.equal(await fs.readFile(path.join(d.root, 'b2', 'c', 'moved.txt'), 'utf8'), 'one\ntwo\n');
  assert.deepEqual((await fs.readdir(d.root)).sort(), ['a', 'b2', 'up.bin']);
  const s = await d.stats();
  assert.ok(s.uploadPart >= 3, JSON.stringify(s));
  assert.equal(s.uploadWithAuthorization ?? 0, 0);
  assert.equal(s.uploadWithContentType ?? 0, 0);
  assert.equal(s.trash - trashedBefore, 1, 'rm should move to the recycle bin by default');
  assert.equal(s.delete ?? 0, 0);
  // Replacing a file keeps one file of that name.
  const again = await sh(`echo new > ${m.mnt}/b2/c/moved.txt && ls ${m.mnt}/b2/c`);
  assert.equal(again.stdout.trim(), 'moved.txt');
  assert.equal(await fs.readFile(path.join(d.root, 'b2', 'c', 'moved.txt'), 'utf8'), 'new\n');
});

test('removeWay delete removes for good instead of trashing', async () => {
  const { d, m } = await setup({ remote: { removeWay: 'delete' }, seed: (root) => fs.writeFile(path.join(root, 'x.txt'), 'x') });
  assert.equal((await sh(`rm ${m.mnt}/x.txt`)).code, 0);
  const s = await d.stats();
  assert.equal(s.delete, 1);
  assert.equal(s.trash ?? 0, 0);
});

test('driveType picks the backup drive; rootFolderId a folder', async () => {
  const { d } = await setup({ seed: (root) => fs.mkdir(path.join(root, 'sub')).then(() => fs.writeFile(path.join(root, 'sub', 'in-sub.txt'), 's')) });
  const backupInfo = d.emu.info.driveIds!;
  assert.notEqual(backupInfo.backup, backupInfo.resource);
  const cfg = JSON.parse(await fs.readFile(d.configFile, 'utf8'));
  cfg.remotes.bk = { ...cfg.remotes.od, driveType: 'backup' };
  await fs.writeFile(d.configFile, JSON.stringify(cfg), { mode: 0o600 });
  const mb = await mount(d, [], 'bk');
  fixtures.push({ m: mb });
  assert.deepEqual(await fs.readdir(mb.mnt), [], 'the backup drive is a different, empty drive');
  await fs.writeFile(path.join(mb.mnt, 'only-in-backup.txt'), 'b');
  await mb.unmount();
  assert.ok(!(await fs.readdir(d.root)).includes('only-in-backup.txt'));
});

test('a burst of ls -l over many folders is paced, not failed', async () => {
  const { d, m } = await setup({
    seed: async (root) => {
      for (let i = 0; i < 16; i++) {
        await fs.mkdir(path.join(root, `d${i}`));
        await fs.writeFile(path.join(root, `d${i}`, 'f.txt'), `${i}`);
      }
    },
  });
  await d.resetStats();
  const t0 = Date.now();
  const r = await sh(`for i in $(seq 0 15); do ls -l ${m.mnt}/d$i > /dev/null || exit 1; done`);
  assert.equal(r.code, 0, r.stderr);
  // 16 listings at 4/s take at least 3 s; pacing keeps the service from refusing more than a
  // stray call (its window and ours can differ by the network's jitter).
  assert.ok(Date.now() - t0 >= 2900, `took ${Date.now() - t0} ms`);
  assert.ok(((await d.stats()).throttled ?? 0) <= 1, JSON.stringify(await d.stats()));
});

test('a full drive is ENOSPC; an over-capacity account is EACCES with the reason logged; a frozen one fails to mount clearly', async () => {
  const { d, m } = await setup({ seed: (root) => fs.writeFile(path.join(root, 'r.txt'), 'readable') });
  await d.setFaults({ quotaTotal: 1 * MiB });
  const src = path.join(d.tmp, 'big.bin');
  await fs.writeFile(src, randomBytes(3 * MiB));
  const full = await sh(`cp ${src} ${m.mnt}/big.bin`);
  assert.notEqual(full.code, 0);
  assert.match(full.stderr, /No space left on device/);
  await d.admin('/_emulator/faults', { quotaTotal: 1024 ** 4, accountState: 'overCapacity' });
  const read = await sh(`cat ${m.mnt}/r.txt`);
  assert.notEqual(read.code, 0);
  assert.match(read.stderr, /Permission denied/);
  assert.match(m.log(), /over its capacity/);
  await d.admin('/_emulator/faults', { accountState: 'frozen' });
  const mnt2 = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const r = await runCli(['mount', 'od', mnt2, '--config', d.configFile]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /frozen/);
});

test('a live photo (.livp) appears as its JPEG or MOV stream, with a size that matches what reads return', async () => {
  const jpeg = randomBytes(300_000);
  const mov = randomBytes(1_500_000);
  const seed = async (root: string) => {
    await fs.mkdir(path.join(root, 'IMG_0001.livp'));
    await fs.writeFile(path.join(root, 'IMG_0001.livp', 'IMG_0001.jpeg'), jpeg);
    await fs.writeFile(path.join(root, 'IMG_0001.livp', 'IMG_0001.mov'), mov);
  };
  const { d, m } = await setup({ seed });
  assert.deepEqual(await fs.readdir(m.mnt), ['IMG_0001.jpeg']);
  assert.equal((await fs.stat(path.join(m.mnt, 'IMG_0001.jpeg'))).size, jpeg.length);
  assert.ok((await fs.readFile(path.join(m.mnt, 'IMG_0001.jpeg'))).equals(jpeg));
  // Writing would lose the other stream: refused at open, and stat shows no write bits.
  assert.equal((await fs.stat(path.join(m.mnt, 'IMG_0001.jpeg'))).mode & 0o222, 0);
  const w = await sh(`echo x >> ${m.mnt}/IMG_0001.jpeg`);
  assert.notEqual(w.code, 0);
  assert.match(w.stderr, /Permission denied/);
  assert.ok((await fs.readFile(path.join(d.root, 'IMG_0001.livp', 'IMG_0001.mov'))).equals(mov));
  // The MOV format, on another mount of the same drive.
  const cfg = JSON.parse(await fs.readFile(d.configFile, 'utf8'));
  cfg.remotes.mov = { ...cfg.remotes.od, livpFormat: 'mov' };
  await fs.writeFile(d.configFile, JSON.stringify(cfg), { mode: 0o600 });
  const mm = await mount(d, [], 'mov');
  fixtures.push({ m: mm });
  assert.deepEqual(await fs.readdir(mm.mnt), ['IMG_0001.mov']);
  assert.equal((await fs.stat(path.join(mm.mnt, 'IMG_0001.mov'))).size, mov.length);
  assert.ok((await fs.readFile(path.join(mm.mnt, 'IMG_0001.mov'))).equals(mov));
});

test('cp -r into a/b costs no listing of a per file (the folder\'s attributes after each commit come from one get)', async () => {
  const { d, m } = await setup({ seed: async (root) => void (await fs.mkdir(path.join(root, 'a', 'b'), { recursive: true })) });
  const src = path.join(d.tmp, 'dir');
  await fs.mkdir(src);
  for (let i = 0; i < 12; i++) await fs.writeFile(path.join(src, `f${i}.txt`), `${i}\n`);
  assert.equal((await sh(`ls ${m.mnt}/a/b`)).code, 0);
  await d.resetStats();
  const r = await sh(`cp -r ${src} ${m.mnt}/a/b/ && ls -l ${m.mnt}/a/b/dir > /dev/null && stat ${m.mnt}/a/b/dir ${m.mnt}/a/b > /dev/null`);
  assert.equal(r.code, 0, r.stderr);
  const s = await d.stats();
  assert.equal(s.complete, 12, JSON.stringify(s));
  // Listings: at most the new folder's own and b's once; never one per file.
  assert.ok(s.list <= 3, `listings: ${JSON.stringify(s)}`);
  assert.deepEqual((await fs.readdir(path.join(d.root, 'a', 'b', 'dir'))).sort(), Array.from({ length: 12 }, (_, i) => `f${i}.txt`).sort());
});

test('ls of a folder of live photos asks for no download link; stat learns a size that reads agree with', async () => {
  const jpegs = Array.from({ length: 8 }, (_, i) => randomBytes(20_000 + i * 777));
  const { d, m } = await setup({
    seed: async (root) => {
      await fs.mkdir(path.join(root, 'photos'));
      for (let i = 0; i < jpegs.length; i++) {
        const dir = path.join(root, 'photos', `IMG_${i}.livp`);
        await fs.mkdir(dir);
        await fs.writeFile(path.join(dir, `IMG_${i}.jpeg`), jpegs[i]!);
        await fs.writeFile(path.join(dir, `IMG_${i}.mov`), randomBytes(40_000));
      }
    },
  });
  await d.resetStats();
  assert.deepEqual((await fs.readdir(path.join(m.mnt, 'photos'))).sort(), jpegs.map((_, i) => `IMG_${i}.jpeg`));
  assert.equal((await d.stats()).getDownloadUrl ?? 0, 0, 'listing asked for download links');
  const p = path.join(m.mnt, 'photos', 'IMG_5.jpeg');
  assert.equal((await fs.stat(p)).size, jpegs[5]!.length);
  assert.ok((await fs.readFile(p)).equals(jpegs[5]!));
  assert.equal((await d.stats()).getDownloadUrl, 1, 'stat and read of one photo take one link');
});
