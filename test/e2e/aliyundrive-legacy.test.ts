// Aliyundrive through the legacy (mobile app) API, through a real mount: listing in pages of
// 200, reads under link expiry and cut bodies (with the download host's Referer), writes,
// removeWay delete refused, drive types, account states, and what is the
// legacy API's own: the device session refused and registered again, a session that expires in
// the middle of a copy, too many devices, and the warning logged once per mount. The suites shared with the
// other drivers (test/helpers/harness.ts SERVICES) run for it too; part failures and rapid upload,
// alike through the Open API, are in aliyundrive-writes.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureRandomFile } from '../../src/cli/demo-content.js';
import { startDrive, mount, sh, runCli, isMounted, MiB, type DriveFixture, type MountFixture } from '../helpers/harness.js';

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
  f.d = await startDrive({ service: 'aliyundrive-legacy', seed: opts.seed, emulatorArgs: opts.emulatorArgs, remote: opts.remote });
  f.m = await mount(f.d, ['--cache-dir', path.join(f.d.tmp, 'cache'), ...(opts.mountArgs ?? [])]);
  return { d: f.d, m: f.m };
}

const WARNING = /uses Aliyundrive's legacy API, which the provider discourages/g;

test('ls -l of 450 entries costs 3 pages of 200; reads under expiring links and cut bodies are identical; the warning is logged once', async () => {
  const { d, m } = await setup({
    emulatorArgs: ['--link-ttl', '2', '--cut-every', '3'],
    seed: async (root) => {
      await fs.mkdir(path.join(root, 'many'));
      for (let i = 0; i < 450; i++) await fs.writeFile(path.join(root, 'many', `f${String(i).padStart(3, '0')}.txt`), `${i}\n`);
      await ensureRandomFile(path.join(root, 'big.bin'), 48 * MiB);
    },
  });
  await d.resetStats();
  const ls = await sh(`ls -l ${m.mnt}/many`);
  assert.equal(ls.code, 0, ls.stderr);
  assert.equal(ls.stdout.trim().split('\n').filter((l) => l.startsWith('-')).length, 450);
  const s = await d.stats();
  assert.equal(s.legacyList, 1 + 3, `listing calls: ${JSON.stringify(s)}`); // the root, then 3 pages
  assert.equal(s.legacyDownloadUrl, 0);
  const cmp = await sh(`cmp ${m.mnt}/big.bin ${d.root}/big.bin && sleep 2.5 && cmp <(tail -c 3000000 ${m.mnt}/big.bin) <(tail -c 3000000 ${d.root}/big.bin)`);
  assert.equal(cmp.code, 0, cmp.stdout + cmp.stderr);
  const after = await d.stats();
  assert.ok(after.cut > 0, JSON.stringify(after));
  assert.equal(after.refererRefused, 0, 'a download went out without the Referer');
  assert.equal(after.downloadWithAuthorization, 0);
  assert.equal(after.concurrencyRefused, 0);
  assert.equal(after.missingHeaders, 0, 'a call lacked x-canary or x-request-id');
  assert.equal(after.deviceSessionRefused, 0);
  assert.equal(m.log().match(WARNING)?.length, 1, 'the legacy warning is not logged exactly once');
});

test('writing: cp in parts, echo, append, mkdir -p, mv, mv onto a file, rm; bytes identical on the service', async () => {
  const { d, m } = await setup();
  const src = path.join(d.tmp, 'src.bin');
  await fs.writeFile(src, randomBytes(25 * MiB)); // 3 parts of 10 MiB
  const r = await sh(
    [
      `cp ${src} ${m.mnt}/up.bin`,
      `echo one > ${m.mnt}/t.txt`,
      `echo two >> ${m.mnt}/t.txt`,
      `mkdir -p ${m.mnt}/a/b/c`,
      `mv ${m.mnt}/t.txt ${m.mnt}/a/b/c/moved.txt`,
      `mv ${m.mnt}/a/b ${m.mnt}/b2`,
      `echo old > ${m.mnt}/b2/target.txt`,
      `echo new > ${m.mnt}/source.txt`,
      `mv ${m.mnt}/source.txt ${m.mnt}/b2/target.txt`,
      `echo gone > ${m.mnt}/gone.txt`,
    ].join(' && '),
  );
  assert.equal(r.code, 0, r.stderr);
  const trashedBefore = (await d.stats()).legacyTrash;
  assert.equal((await sh(`rm ${m.mnt}/gone.txt`)).code, 0);
  assert.equal((await sh(`cmp ${src} ${d.root}/up.bin`)).code, 0);
  assert.equal(await fs.readFile(path.join(d.root, 'b2', 'c', 'moved.txt'), 'utf8'), 'one\ntwo\n');
  assert.equal(await fs.readFile(path.join(d.root, 'b2', 'target.txt'), 'utf8'), 'new\n');
  assert.deepEqual((await fs.readdir(path.join(d.root, 'b2'))).sort(), ['c', 'target.txt']);
  assert.deepEqual((await fs.readdir(d.root)).sort(), ['a', 'b2', 'up.bin']);
  assert.equal(await fs.readFile(path.join(m.mnt, 'b2', 'target.txt'), 'utf8'), 'new\n');
  const s = await d.stats();
  assert.ok(s.uploadPart >= 3, JSON.stringify(s));
  assert.ok(s.legacyBatch >= 2, 'moves go through /v3/batch');
  assert.equal(s.uploadWithAuthorization, 0);
  assert.equal(s.uploadWithContentType, 0);
  assert.equal(s.legacyTrash - trashedBefore, 1, 'rm should move to the recycle bin by default');
});

test('the device session dropped by the service is registered again and the call replayed', async () => {
  const { d, m } = await setup({ seed: (root) => fs.mkdir(path.join(root, 'sub')).then(() => fs.writeFile(path.join(root, 'sub', 'x.txt'), 'x')) });
  const before = await d.stats();
  assert.equal(before.deviceSessionCreated, 1);
  await d.admin('/_emulator/device-sessions/drop', {});
  const r = await sh(`ls ${m.mnt}/sub`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'x.txt');
  const s = await d.stats();
  assert.equal(s.deviceSessionRefused, 1, JSON.stringify(s));
  assert.equal(s.deviceSessionCreated, 2, JSON.stringify(s));
});

test('a device session expiring in the middle of copies out of and into the mount: bytes equal, no EIO', async () => {
  const { d, m } = await setup({
    emulatorArgs: ['--device-session-ttl', '2', '--bandwidth', '2000000'],
    seed: (root) => ensureRandomFile(path.join(root, 'out.bin'), 20 * MiB),
  });
  const local = path.join(d.tmp, 'copied-out.bin');
  const out = await sh(`cp ${m.mnt}/out.bin ${local}`);
  assert.equal(out.code, 0, out.stderr);
  assert.equal((await sh(`cmp ${local} ${d.root}/out.bin`)).code, 0);
  const into = await sh(`cp ${local} ${m.mnt}/in.bin`);
  assert.equal(into.code, 0, into.stderr);
  assert.equal((await sh(`cmp ${local} ${d.root}/in.bin`)).code, 0);
  const s = await d.stats();
  assert.ok(s.deviceSessionCreated >= 2, JSON.stringify(s));
  assert.doesNotMatch(m.log(), /Input\/output error|"code":"EIO"/);
});

test('too many devices: the mount fails with that reason and stops registering', async () => {
  const f: { d?: DriveFixture } = {};
  fixtures.push(f);
  const d = (f.d = await startDrive({ service: 'aliyundrive-legacy' }));
  await d.admin('/_emulator/faults', { refuseDeviceSessions: true });
  const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const r = await runCli(['mount', 'od', mnt, '--config', d.configFile]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /too many devices/);
  assert.ok((await d.stats()).legacyCreateSession <= 3, JSON.stringify(await d.stats()));
});

test('removeWay delete is refused (exit 2, says to use trash: no delete call is known for this API); driveType backup is another drive', async () => {
  const { d } = await setup({ seed: (root) => fs.writeFile(path.join(root, 'x.txt'), 'x') });
  const cfg = JSON.parse(await fs.readFile(d.configFile, 'utf8'));
  cfg.remotes.del = { ...cfg.remotes.od, removeWay: 'delete' };
  await fs.writeFile(d.configFile, JSON.stringify(cfg), { mode: 0o600 });
  const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const r = await runCli(['mount', 'del', mnt, '--config', d.configFile]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /"removeWay" "delete" is not available with the legacy API.*use "trash"/);
  assert.ok(!isMounted(mnt));
  assert.ok((await fs.readdir(d.root)).includes('x.txt'));
  cfg.remotes.bk = { ...cfg.remotes.od, driveType: 'backup' };
  await fs.writeFile(d.configFile, JSON.stringify(cfg), { mode: 0o600 });
  const mb = await mount(d, [], 'bk');
  fixtures.push({ m: mb });
  assert.deepEqual(await fs.readdir(mb.mnt), [], 'the backup drive is a different, empty drive');
  await fs.writeFile(path.join(mb.mnt, 'only-in-backup.txt'), 'b');
  await mb.unmount();
  assert.ok(!(await fs.readdir(d.root)).includes('only-in-backup.txt'));
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

test('about prints the account, the drive and the space the legacy API reports; ls lists the root', async () => {
  const f: { d?: DriveFixture } = {};
  fixtures.push(f);
  const d = (f.d = await startDrive({ service: 'aliyundrive-legacy', seed: (root) => fs.writeFile(path.join(root, 'hello.txt'), 'hello') }));
  const r = await runCli(['about', 'od', '--config', d.configFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^account:\s+Emulated User$/m);
  const drive = /^drive:\s+(.+)$/m.exec(r.stdout)?.[1] ?? '';
  assert.ok(drive.startsWith('default') && drive.includes(d.emu.info.driveIds!.default), drive);
  assert.match(r.stdout, /used/);
  const ls = await runCli(['ls', 'od', '--config', d.configFile]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /hello\.txt/);
  assert.equal((await d.stats()).legacySpaceInfo, 1);
});
