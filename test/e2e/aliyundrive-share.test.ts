// Aliyundrive share links through real mounts: refused shares exit 2 before mounting; reads go
// through copies in the user's own drive (what works against today's service) and leave none
// behind, even after a crash; the share token is renewed during a long `cp`; the default link
// mode answers EACCES with one log line; every change is EROFS.

import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureRandomFile } from '../../src/cli/demo-content.js';
import { startDrive, mount, runCli, sh, isMounted, waitFor, MiB, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const SERVICE = 'aliyundrive-share';
const COPIES = '.drivemount-share-copies';
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface ShareFixture {
  d: DriveFixture;
  /** The folder backing the user's own drive (copies land here). */
  own: string;
  shareId: string;
}

async function share(o: { emulatorArgs?: string[]; remote?: Record<string, unknown>; seed?: (root: string) => Promise<void> } = {}): Promise<ShareFixture> {
  const own = await fs.mkdtemp(path.join(os.tmpdir(), 'drivemount-own-'));
  cleanups.push(() => fs.rm(own, { recursive: true, force: true }));
  const d = await startDrive({ service: SERVICE, ...o, emulatorArgs: ['--own-root', own, ...(o.emulatorArgs ?? [])] });
  cleanups.push(() => d.close());
  return { d, own, shareId: d.emu.info.shareId! };
}

async function mounted(d: DriveFixture, args: string[] = []): Promise<MountFixture> {
  const m = await mount(d, args);
  cleanups.push(() => m.unmount());
  return m;
}

/** The copies the user's own drive holds: files below the share's copies folder (absent counts as empty; mount folders do not count). */
const copiesLeft = async (f: ShareFixture): Promise<string[]> =>
  (await fs.readdir(path.join(f.own, COPIES, f.shareId), { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((d) => d.isFile())
    .map((d) => d.name);

async function writeConfig(d: DriveFixture, name: string, patch: Record<string, unknown>): Promise<string> {
  const remote = { ...JSON.parse(await fs.readFile(d.configFile, 'utf8')).remotes.od, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete remote[k];
  const cfg = path.join(d.tmp, `${name}.json`);
  await fs.writeFile(cfg, JSON.stringify({ remotes: { od: remote } }), { mode: 0o600 });
  return cfg;
}

const seedTree = async (root: string) => {
  await fs.writeFile(path.join(root, 'hello.txt'), 'hello from the share\n');
  // Listed in pages (> 200 items), not all read: each read through a copy costs a link call, and those are paced at 1/s.
  await fs.mkdir(path.join(root, 'many'));
  for (let i = 0; i < 210; i++) await fs.writeFile(path.join(root, 'many', `n${String(i).padStart(3, '0')}.txt`), `item ${i}\n`);
  await fs.mkdir(path.join(root, 'tree', 'deeper'), { recursive: true });
  for (const n of ['a', 'b', 'c', 'same name.txt']) await fs.writeFile(path.join(root, 'tree', n), `${n}\n`);
  await fs.writeFile(path.join(root, 'tree', 'deeper', 'same name.txt'), 'the other one\n');
  await ensureRandomFile(path.join(root, 'tree', 'big.bin'), 12 * MiB);
};

describe('aliyundrive-share: opening the share', () => {
  test('a wrong or missing password, a cancelled, expired or unknown share: mount exits 2 with one sentence', async () => {
    const f = await share({ seed: async (r) => fs.writeFile(path.join(r, 'a.txt'), 'A\n'), emulatorArgs: ['--share-password', 'pw12'] });
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['wrong', { sharePassword: 'nope' }, /share password is wrong or missing \(set "sharePassword"/],
      ['none', { sharePassword: undefined }, /share password is wrong or missing/],
      ['unknown', { shareId: 'AAAAAAAAAAAAAAAAAAAAAA' }, /no share has this id/],
    ];
    for (const [name, patch, message] of cases) {
      const cfg = await writeConfig(f.d, name, patch);
      const mnt = await fs.mkdtemp(path.join(f.d.tmp, 'mnt-'));
      const r = await runCli(['mount', 'od', mnt, '--config', cfg]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message, name);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(isMounted(mnt), false);
    }
    for (const [action, message] of [['cancel', /cancelled by its owner/], ['expire', /has expired/]] as const) {
      await f.d.admin('/_emulator/shares', { path: '/', password: 'pw12' }); // revived
      await f.d.admin(`/_emulator/shares/${f.shareId}/${action}`, {});
      const mnt = await fs.mkdtemp(path.join(f.d.tmp, 'mnt-'));
      const r = await runCli(['mount', 'od', mnt, '--config', f.d.configFile]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(isMounted(mnt), false);
    }
    await f.d.admin('/_emulator/shares', { path: '/', password: 'pw12' });
    const m = await mounted(f.d);
    assert.equal(await fs.readFile(path.join(m.mnt, 'a.txt'), 'utf8'), 'A\n');
  });
});

describe('aliyundrive-share: reading', () => {
  test('copy mode: cp -r of a nested folder has identical bytes, leaves no copies behind, and every change is EROFS', async () => {
    const f = await share({ seed: seedTree });
    const m = await mounted(f.d);
    assert.equal((await fs.readdir(path.join(m.mnt, 'many'))).length, 210);
    assert.equal(await fs.readFile(path.join(m.mnt, 'many', 'n209.txt'), 'utf8'), 'item 209\n', 'the last page is there');
    const out = path.join(f.d.tmp, 'out');
    const cp = await sh(`cp -r ${m.mnt}/tree ${out}`);
    assert.equal(cp.code, 0, cp.stderr);
    const diff = await sh(`diff -r ${f.d.root}/tree ${out}`);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    for (const cmd of [
      `touch ${m.mnt}/new.txt`, `mkdir ${m.mnt}/dir`, `rm ${m.mnt}/hello.txt`, `mv ${m.mnt}/hello.txt ${m.mnt}/x.txt`,
      `truncate -s 0 ${m.mnt}/hello.txt`, `echo x >> ${m.mnt}/hello.txt`,
    ]) {
      const r = await sh(cmd);
      assert.notEqual(r.code, 0, `${cmd} succeeded`);
      assert.match(r.stderr, /Read-only file system/, cmd);
    }
    const s = await f.d.stats();
    assert.ok(s.shareCopy >= 6, `every file was read through a copy (${s.shareCopy})`);
    assert.equal(s.refererRefused, 0);
    assert.equal(s.rateLimited, 0, 'the driver paces itself within the service limits');
    await m.unmount();
    assert.deepEqual(await copiesLeft(f), [], 'no copy left in the own drive after unmount');
    assert.equal(await fs.readFile(path.join(f.d.root, 'hello.txt'), 'utf8'), 'hello from the share\n', 'the share is unchanged');
  });

  test('copies a killed mount left behind are deleted at the next mount', async () => {
    const f = await share({ seed: seedTree, emulatorArgs: ['--bandwidth', '2000000'] });
    const m = await mount(f.d);
    const reading = sh(`cat ${m.mnt}/tree/big.bin > /dev/null`);
    await waitFor(async () => (await copiesLeft(f)).length > 0, 'a copy in the own drive');
    m.proc.kill('SIGKILL');
    await reading;
    await m.unmount();
    assert.ok((await copiesLeft(f)).length > 0, 'the crash left a copy');
    const again = await mounted(f.d);
    assert.deepEqual(await copiesLeft(f), [], 'removed at connect');
    assert.equal(await fs.readFile(path.join(again.mnt, 'hello.txt'), 'utf8'), 'hello from the share\n');
  });

  test('copy mode with the own drive full: EACCES and one log line saying why, nothing left behind', async () => {
    const f = await share({ seed: seedTree, emulatorArgs: ['--quota', '1000'] });
    const m = await mounted(f.d);
    for (let i = 0; i < 2; i++) {
      const r = await sh(`cat ${m.mnt}/tree/big.bin > /dev/null`);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Permission denied/);
    }
    const lines = m.log().split('\n').filter((l) => l.includes('cannot read a shared file through a copy'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /QuotaExhausted\.Drive/);
    await m.unmount();
    assert.deepEqual(await copiesLeft(f), []);
  });

  test('link mode against the refused links: EACCES, one log line naming shareDownload, the refusal remembered', async () => {
    const f = await share({ seed: seedTree, remote: { shareDownload: 'link' } });
    const m = await mounted(f.d);
    await f.d.resetStats();
    for (const file of ['hello.txt', 'tree/big.bin', 'many/n001.txt']) {
      const r = await sh(`cat ${m.mnt}/${file} > /dev/null`);
      assert.notEqual(r.code, 0, file);
      assert.match(r.stderr, /Permission denied/, file);
    }
    const lines = m.log().split('\n').filter((l) => l.includes('ParamFlowException') && l.includes('"level":40'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /shareDownload/);
    const s = await f.d.stats();
    assert.ok(s.shareLink <= 2, `shareLink ${s.shareLink}`);
    assert.equal(s.shareCopy, 0);
    assert.deepEqual(await copiesLeft(f), []);
  });

  test('link mode with working links: the share token is renewed ahead of its expiry during a long cp -r', async () => {
    const seed = async (root: string) => {
      await fs.mkdir(path.join(root, 'set'));
      for (let i = 0; i < 8; i++) await ensureRandomFile(path.join(root, 'set', `part${i}.bin`), 2 * MiB);
    };
    const f = await share({ seed, remote: { shareDownload: 'link' }, emulatorArgs: ['--share-downloads', 'working', '--share-token-ttl', '3', '--bandwidth', '2000000'] });
    const m = await mounted(f.d);
    await f.d.resetStats();
    const out = path.join(f.d.tmp, 'out');
    const cp = await sh(`cp -r ${m.mnt}/set ${out}`);
    assert.equal(cp.code, 0, cp.stderr);
    const diff = await sh(`diff -r ${f.d.root}/set ${out}`);
    assert.equal(diff.code, 0, diff.stdout);
    let s = await f.d.stats();
    // Stats were reset after the mount's first token: each one counted here is a renewal (8 links at 1/s outlast a 3 s token twice).
    assert.ok(s.shareToken >= 2, `renewed during the copy (${s.shareToken})`);
    assert.equal(s.shareTokenInvalid, 0, 'renewed ahead of expiry, never refused');
    assert.equal(s.refererRefused, 0);
  });

  test('link mode with working links: a share token the service drops is renewed on ShareLinkTokenInvalid mid-mount', async () => {
    const seed = async (root: string) => {
      await fs.writeFile(path.join(root, 'first.txt'), 'first\n');
      await fs.mkdir(path.join(root, 'later'));
      await ensureRandomFile(path.join(root, 'later', 'data.bin'), 3 * MiB);
    };
    const f = await share({ seed, remote: { shareDownload: 'link' }, emulatorArgs: ['--share-downloads', 'working'] });
    const m = await mounted(f.d);
    assert.equal(await fs.readFile(path.join(m.mnt, 'first.txt'), 'utf8'), 'first\n');
    await f.d.admin('/_emulator/share-tokens/revoke', {});
    await f.d.resetStats();
    // A folder not listed yet and a file not read yet: both calls need the share token.
    const out = path.join(f.d.tmp, 'data.bin');
    const cp = await sh(`cp ${m.mnt}/later/data.bin ${out}`);
    assert.equal(cp.code, 0, cp.stderr);
    assert.equal((await sh(`cmp ${f.d.root}/later/data.bin ${out}`)).code, 0);
    const s = await f.d.stats();
    assert.equal(s.shareTokenInvalid, 1, 'one call met the dropped token');
    assert.equal(s.shareToken, 1, 'one renewal, and the call replayed');
  });
});

describe('aliyundrive-share: login', () => {
  test('login opens the share, spends the token once and saves the rotated one (0600); a wrong password exits 2 and saves nothing', async () => {
    const f = await share({ seed: async (r) => fs.writeFile(path.join(r, 'a.txt'), 'A\n'), emulatorArgs: ['--share-password', 'pw12'] });
    const { url, refreshToken } = f.d.emu.info;
    const cfg = path.join(f.d.tmp, 'login.json');
    const login = (name: string, password: string, extra: string[] = [], token = refreshToken) =>
      runCli(['--config', cfg, 'login', 'aliyundrive-share', '--name', name, '--share-id', f.shareId, '--auth-url', url, '--api-url', url, ...extra], {
        DRIVEMOUNT_REFRESH_TOKEN: token,
        DRIVEMOUNT_SHARE_PASSWORD: password,
      });
    await f.d.resetStats();
    const wrong = await login('bad', 'nope');
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /share password is wrong/);
    assert.doesNotMatch(wrong.stderr, /\n\s+at /);
    assert.equal((await f.d.stats()).legacyToken, 0, 'the share is opened first: a wrong password spends no token');

    const noFolder = await login('nofolder', 'pw12', ['--root-folder-id', 'no-such-folder']);
    assert.notEqual(noFolder.code, 0, noFolder.stdout);
    assert.equal((await f.d.stats()).legacyToken, 0, 'the share is listed before the token is spent: a bad folder spends no token');

    // A failure after the refresh: the rotated token is already saved, so the only live token is kept.
    await f.d.setFaults({ accountState: 'frozen' } as unknown as Record<string, number>);
    const frozen = await login('frozen', 'pw12');
    await f.d.setFaults({ accountState: 'normal' } as unknown as Record<string, number>);
    assert.notEqual(frozen.code, 0, frozen.stdout);
    assert.equal((await f.d.stats()).legacyToken, 1);
    const kept = JSON.parse(await fs.readFile(cfg, 'utf8')).remotes.frozen;
    assert.ok(kept && kept.refreshToken !== refreshToken, 'the rotated token was saved at once');
    assert.match(frozen.stdout + frozen.stderr, /successor saved/);
    await f.d.resetStats();

    const ok = await login('films', 'pw12', ['--share-download', 'copy'], kept.refreshToken);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /Share \S+ opens: 1 entry/);
    const saved = JSON.parse(await fs.readFile(cfg, 'utf8')).remotes;
    assert.deepEqual(Object.keys(saved).sort(), ['films', 'frozen'], 'the refused logins saved nothing');
    assert.equal(saved.films.type, 'aliyundrive-share');
    assert.equal(saved.films.shareId, f.shareId);
    assert.equal(saved.films.sharePassword, 'pw12');
    assert.equal(saved.films.shareDownload, 'copy');
    assert.notEqual(saved.films.refreshToken, kept.refreshToken, 'the rotated token is stored');
    assert.equal((await fs.stat(cfg)).mode & 0o777, 0o600);
    const s = await f.d.stats();
    assert.equal(s.legacyToken, 1, 'one refresh proves the token');
    assert.equal(s.shareCopy, 0, 'logging in copies nothing');
    const ls = await runCli(['--config', cfg, 'ls', 'films']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /a\.txt/);
    const show = await runCli(['--config', cfg, 'config', 'show', 'films']);
    assert.doesNotMatch(show.stdout, /pw12/, 'the share password is masked');
  });
});
