// OneDrive / SharePoint share links through real mounts: opened with and without a password,
// refused clearly (exit code 2) when the link cannot be opened, read with identical bytes while
// cookies expire, under 429s and cut bodies, and read-only (EROFS) without edit rights.

import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ensureRandomFile } from '../../src/cli/demo-content.js';
import { startDrive, mount, runCli, sh, isMounted, MiB, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const SERVICE = 'onedrive-share';
const fixtures: { d?: DriveFixture; m?: MountFixture }[] = [];
after(async () => {
  for (const f of fixtures) {
    await f.m?.unmount();
    await f.d?.close();
  }
});

async function share(o: { emulatorArgs?: string[]; remote?: Record<string, unknown>; seed?: (root: string) => Promise<void> } = {}): Promise<DriveFixture> {
  const f: { d?: DriveFixture; m?: MountFixture } = {};
  fixtures.push(f);
  f.d = await startDrive({ service: SERVICE, ...o });
  return f.d;
}

/** The mount's log lines above debug (for failure messages). */
const notable = (m: MountFixture) => m.log().split('\n').filter((l) => l && !l.includes('"level":20')).slice(-15).join('\n');

async function mounted(d: DriveFixture, args: string[] = []): Promise<MountFixture> {
  const m = await mount(d, args);
  fixtures.find((f) => f.d === d)!.m = m;
  return m;
}

const seedBasic = async (root: string) => {
  await fs.writeFile(path.join(root, 'hello.txt'), 'hello from the share\n');
  await fs.mkdir(path.join(root, 'Reports 2026'));
  await fs.writeFile(path.join(root, 'Reports 2026', 'q1 #1.csv'), 'a,b\n1,2\n');
};

describe('onedrive-share: opening the link', () => {
  test('a link without a password mounts read-only: listing, bytes, and EROFS for every change', async () => {
    const d = await share({ seed: seedBasic });
    const m = await mounted(d);
    assert.deepEqual((await fs.readdir(m.mnt)).sort(), ['Reports 2026', 'hello.txt']);
    assert.equal(await fs.readFile(path.join(m.mnt, 'hello.txt'), 'utf8'), 'hello from the share\n');
    assert.equal(await fs.readFile(path.join(m.mnt, 'Reports 2026', 'q1 #1.csv'), 'utf8'), 'a,b\n1,2\n');
    const st = await fs.stat(path.join(m.mnt, 'hello.txt'));
    assert.equal(st.size, 21);
    const srcMtime = (await fs.stat(path.join(d.root, 'hello.txt'))).mtimeMs;
    assert.equal(Math.floor(st.mtimeMs / 1000), Math.floor(srcMtime / 1000), 'the modification time is the one the service lists (to the second)');
    assert.match(m.log(), /cannot be written to: mounting read-only/);
    assert.ok(!m.log().includes(new URL(d.emu.info.shareUrl!).pathname.split('/').pop()!), 'the share URL (a bearer capability) never reaches the log');
    for (const cmd of [`touch ${m.mnt}/new.txt`, `mkdir ${m.mnt}/dir`, `rm ${m.mnt}/hello.txt`, `mv ${m.mnt}/hello.txt ${m.mnt}/x.txt`, `echo x >> ${m.mnt}/hello.txt`]) {
      const r = await sh(cmd);
      assert.notEqual(r.code, 0, `${cmd} succeeded`);
      assert.match(r.stderr, /Read-only file system/, cmd);
    }
    assert.deepEqual((await fs.readdir(d.root)).sort(), ['Reports 2026', 'hello.txt'], 'nothing changed on the service');
    const s = await d.stats();
    assert.equal(s.noCookie, 0, 'every call carried the cookie');
    assert.equal(s.expiredCookie, 0);
  });

  test('a link with a password mounts with the right password; the wrong one, or none, exits 2 before mounting', async () => {
    const d = await share({ seed: seedBasic, emulatorArgs: ['--password', 'Open Sesame!'] });
    for (const [password, message] of [['wrong', /refused the password: it is wrong/], [undefined, /password protected/]] as const) {
      const cfg = path.join(d.tmp, `cfg-${password ?? 'none'}.json`);
      const remote = JSON.parse(await fs.readFile(d.configFile, 'utf8')).remotes.od;
      if (password === undefined) delete remote.password;
      else remote.password = password;
      await fs.writeFile(cfg, JSON.stringify({ remotes: { od: remote } }), { mode: 0o600 });
      const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
      const r = await runCli(['mount', 'od', mnt, '--config', cfg]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(isMounted(mnt), false);
    }
    assert.ok((await d.stats()).wrongPassword >= 1, 'the wrong password was posted to the form');
    const m = await mounted(d);
    assert.equal(await fs.readFile(path.join(m.mnt, 'hello.txt'), 'utf8'), 'hello from the share\n');
  });

  test('login checks the link and saves the remote (password secret, file 0600); a wrong password, a revoked link, a consumer link exit 2', async () => {
    const d = await share({ seed: seedBasic, emulatorArgs: ['--password', 'pw'] });
    const url = d.emu.info.shareUrl!;
    const cfg = path.join(d.tmp, 'login.json');
    const ok = await runLogin(cfg, 'team', url, 'pw');
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /jdoe_contoso_com/);
    assert.match(ok.stdout, /read-only/);
    const saved = JSON.parse(await fs.readFile(cfg, 'utf8')).remotes.team;
    assert.deepEqual(saved, { type: 'onedrive-share', url, password: 'pw' });
    assert.equal((await fs.stat(cfg)).mode & 0o777, 0o600);
    const show = await runCli(['--config', cfg, 'config', 'show', 'team']);
    assert.equal(show.code, 0, show.stderr);
    assert.doesNotMatch(show.stdout, /"pw"/);
    assert.match(show.stdout, /hidden, 2 characters/);
    const token = new URL(url).pathname.split('/').pop()!;
    const list = await runCli(['--config', cfg, 'config', 'list']);
    for (const out of [show.stdout, list.stdout, ok.stdout, ok.stderr]) assert.ok(!out.includes(token), `the share URL is a secret, printed here: ${out}`);
    const about = await runCli(['--config', cfg, 'about', 'team']);
    assert.equal(about.code, 0, about.stderr);
    assert.match(about.stdout, /account:\s+John Doe \(jdoe_contoso_com\)/, "the owner as the page names them, and their account");
    assert.match(about.stdout, /shared folder \/personal\/jdoe_contoso_com\/Documents\/Shared Team \(read-only\)/);
    const ls = await runCli(['--config', cfg, 'ls', 'team']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /hello\.txt/);
    assert.match(ls.stdout, /Reports 2026\//);

    const wrong = await runLogin(cfg, 'other', url, 'nope');
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /wrong/);
    for (const consumer of ['https://onedrive.live.com/?cid=64EA5FCC7735E8C6&id=64EA5FCC7735E8C6%2117289', 'https://1drv.ms/f/s!ArwO5iEFDkD1jJNshhRIP-okHCS52g']) {
      const r = await runLogin(cfg, 'personal', consumer, undefined);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /personal \(consumer\) OneDrive link/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    await d.admin('/_emulator/revoke', {});
    const revoked = await runLogin(cfg, 'gone', url, 'pw');
    assert.equal(revoked.code, 2, revoked.stderr);
    assert.match(revoked.stderr, /revoked/);
    const names = Object.keys(JSON.parse(await fs.readFile(cfg, 'utf8')).remotes);
    assert.deepEqual(names, ['team'], 'no refused link was saved');
    const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
    const m = await runCli(['mount', 'team', mnt, '--config', cfg]);
    assert.equal(m.code, 2, m.stderr);
    assert.match(m.stderr, /revoked/);
    assert.equal(isMounted(mnt), false);
  });
});

async function runLogin(cfg: string, name: string, url: string, password: string | undefined) {
  const pw = password === undefined ? '' : `--password - `;
  const input = password === undefined ? '' : `printf '%s\\n' ${JSON.stringify(password)} | `;
  return sh(`${input}${JSON.stringify(process.execPath)} ${JSON.stringify(mainPath())} --config ${JSON.stringify(cfg)} login onedrive-share --name ${name} --url ${JSON.stringify(url)} ${pw}`);
}

function mainPath(): string {
  return new URL('../../src/cli/main.js', import.meta.url).pathname;
}

describe('onedrive-share: reading', () => {
  test('a cookie expiring in the middle of a slow read still gives identical bytes', async () => {
    // 1 s cookies, 2 MB/s per connection, 4 MiB read-ahead: the read outlives many cookies.
    const d = await share({ seed: (root) => ensureRandomFile(path.join(root, 'data.bin'), 24 * MiB), emulatorArgs: ['--cookie-ttl', '1', '--bandwidth', '2000000'] });
    const m = await mounted(d, ['--read-only', '--max-read-ahead', '4']);
    const r = await sh(`cmp ${m.mnt}/data.bin ${d.root}/data.bin`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = await d.stats();
    assert.ok(s.expiredCookie > 0, `the cookie never expired during the read: ${JSON.stringify(s)}`);
    assert.ok(s.cookieIssued > 1, `the cookie was never renewed: ${JSON.stringify(s)}`);
    assert.equal(s.noCookie, 0);
  });

  test('a site link downloads from where the page\'s templateUrl says, not from beside the redirect', async () => {
    const d = await share({ seed: seedBasic });
    await d.setFaults({ templateElsewhere: 1 });
    const m = await mounted(d, ['--read-only']);
    assert.equal(await fs.readFile(path.join(m.mnt, 'Reports 2026', 'q1 #1.csv'), 'utf8'), 'a,b\n1,2\n', notable(m));
    const s = await d.stats();
    assert.ok(s.download >= 1, JSON.stringify(s));
  });

  test('a link revoked while mounted: reads are EACCES with one log line, the mount stays up, and works again once shared again', async () => {
    const d = await share({ seed: seedBasic });
    const m = await mounted(d, ['--read-only']);
    assert.equal(await fs.readFile(path.join(m.mnt, 'hello.txt'), 'utf8'), 'hello from the share\n');
    await d.setFaults({ revoked: 1 });
    const before = m.log().length;
    await assert.rejects(fs.readFile(path.join(m.mnt, 'Reports 2026', 'q1 #1.csv'), 'utf8'), { code: 'EACCES' });
    assert.ok(await isMounted(m.mnt), 'the mount stays up after a refusal');
    // Logged after the revocation, saying why (not a line from before it).
    assert.match(m.log().slice(before), /the share link answers HTTP 404: it has been revoked/, notable(m));
    await d.setFaults({ revoked: 0 });
    assert.equal(await fs.readFile(path.join(m.mnt, 'Reports 2026', 'q1 #1.csv'), 'utf8'), 'a,b\n1,2\n', notable(m));
  });

  test('a 429 storm and connections cut mid-body still give identical bytes, by cmp, dd at offsets and tail -c', async () => {
    const d = await share({ seed: (root) => ensureRandomFile(path.join(root, 'data.bin'), 16 * MiB), emulatorArgs: ['--throttle-every', '3', '--retry-after', '1', '--cut-every', '3'] });
    const m = await mounted(d, ['--read-only']);
    const r = await sh(`cmp ${m.mnt}/data.bin ${d.root}/data.bin`);
    assert.equal(r.code, 0, r.stdout + r.stderr + notable(m));
    for (const skip of [0, 5, 9, 13]) {
      const dd = await sh(`cmp <(dd if=${m.mnt}/data.bin bs=1M skip=${skip} count=2 status=none) <(dd if=${d.root}/data.bin bs=1M skip=${skip} count=2 status=none)`);
      assert.equal(dd.code, 0, `dd at ${skip} MiB: ${dd.stdout}${dd.stderr}${notable(m)}`);
    }
    const tail = await sh(`cmp <(tail -c 3000001 ${m.mnt}/data.bin) <(tail -c 3000001 ${d.root}/data.bin)`);
    assert.equal(tail.code, 0, tail.stdout + tail.stderr + notable(m));
    const s = await d.stats();
    assert.ok(s.cut > 0, `no download was cut: ${JSON.stringify(s)}`);
    assert.ok(s.throttled > 0, `nothing was throttled: ${JSON.stringify(s)}`);
    const ls = await sh(`ls -l ${m.mnt}`);
    assert.equal(ls.code, 0, ls.stderr);
  });

  test('ls -l of a 5,000-entry folder costs its listing pages and nothing per file; again within the cache time, nothing', async () => {
    const d = await share({
      seed: async (root) => {
        await fs.mkdir(path.join(root, 'many'));
        for (let i = 0; i < 5000; i++) await fs.writeFile(path.join(root, 'many', `f${i}.txt`), `${i}\n`);
      },
    });
    const m = await mounted(d, ['--read-only']);
    await fs.stat(path.join(m.mnt, 'many'));
    await d.resetStats();
    const ls = await sh(`ls -l ${m.mnt}/many | wc -l`);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(Number(ls.stdout.trim()), 5001, 'ls -l prints a total line and 5,000 entries');
    const s = await d.stats();
    // 30 rows a page: one GraphQL page and 166 RenderListDataAsStream pages.
    assert.equal(s.graphql, 1, JSON.stringify(s));
    assert.equal(s.renderList, Math.ceil(5000 / 30) - 1, JSON.stringify(s));
    assert.equal(s.api, Math.ceil(5000 / 30), JSON.stringify(s));
    assert.equal(s.download, 0);
    await d.resetStats();
    const again = await sh(`ls -l ${m.mnt}/many | wc -l`);
    assert.equal(Number(again.stdout.trim()), 5001);
    assert.equal((await d.stats()).api, 0, 'a repeated ls within the dir cache time costs no call');
  });
});

describe('onedrive-share: a share with edit rights', () => {
  test('writes into a 5,000-entry folder list nothing; the first read of a written file lists its folder once, later reads not at all', async () => {
    const d = await share({
      emulatorArgs: ['--editable'],
      seed: async (root) => {
        await fs.mkdir(path.join(root, 'many'));
        for (let i = 0; i < 5000; i++) await fs.writeFile(path.join(root, 'many', `f${i}.txt`), `${i}\n`);
      },
    });
    // Its own cache folder: this file's mounts stay up until its end, and a writable mount holds its folder.
    const m = await mounted(d, ['--cache-dir', path.join(d.tmp, 'cache-many')]);
    assert.equal((await fs.readdir(path.join(m.mnt, 'many'))).length, 5000);
    await d.resetStats();
    for (let i = 0; i < 5; i++) await fs.writeFile(path.join(m.mnt, 'many', `new${i}.txt`), `new ${i}\n`);
    await fs.rename(path.join(m.mnt, 'many', 'new4.txt'), path.join(m.mnt, 'many', 'moved.txt'));
    await fs.utimes(path.join(m.mnt, 'many', 'moved.txt'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
    const writes = await d.stats();
    // The big folder is never listed again (that would take 166 RenderListDataAsStream pages); the
    // folder's own attributes are re-read after a change inside it, from its parent's one-page listing.
    assert.equal(writes.renderList ?? 0, 0, `the 5,000-entry folder was listed for the writes: ${JSON.stringify(writes)}`);
    assert.ok((writes.graphql ?? 0) <= 7, `at most one small parent listing per change: ${JSON.stringify(writes)}`);
    assert.equal(await fs.readFile(path.join(d.root, 'many', 'new0.txt'), 'utf8'), 'new 0\n', 'committed when close() returned');

    await d.resetStats();
    assert.equal(await fs.readFile(path.join(m.mnt, 'many', 'new0.txt'), 'utf8'), 'new 0\n');
    const first = await d.stats();
    // Counted in RenderListDataAsStream pages: only the big folder has more than one page.
    assert.equal(first.renderList, Math.ceil(5005 / 30) - 1, `one listing of the folder to learn the UniqueId: ${JSON.stringify(first)}`);
    await d.resetStats();
    assert.equal(await fs.readFile(path.join(m.mnt, 'many', 'new0.txt'), 'utf8'), 'new 0\n');
    assert.equal(await fs.readFile(path.join(m.mnt, 'many', 'moved.txt'), 'utf8'), 'new 4\n');
    const again = await d.stats();
    assert.equal(again.renderList, Math.ceil(5005 / 30) - 1, `new0 again lists nothing; moved.txt (not read yet) lists once: ${JSON.stringify(again)}`);
    assert.equal((await fs.stat(path.join(m.mnt, 'many', 'moved.txt'))).mtime.toISOString(), '2020-01-02T03:04:05.000Z');
  });

  test('mkdir, small and large uploads, rename, rename-over, remove and utimens work through the mount; close() returns once committed', async () => {
    // 2 s drive tokens: the writes outlive several, renewed from the page each time.
    const d = await share({ seed: seedBasic, emulatorArgs: ['--editable', '--token-ttl', '2'] });
    const m = await mounted(d, ['--chunk-size', '1.25']);
    assert.doesNotMatch(m.log(), /mounting read-only/);
    const about = await runCli(['--config', d.configFile, 'about', 'od']);
    assert.match(about.stdout, /\(writable\)/, about.stdout + about.stderr);

    await fs.mkdir(path.join(m.mnt, 'new dir'));
    assert.ok((await fs.stat(path.join(d.root, 'new dir'))).isDirectory());
    await fs.writeFile(path.join(m.mnt, 'new dir', 'small.txt'), 'small bytes\n');
    assert.equal(await fs.readFile(path.join(d.root, 'new dir', 'small.txt'), 'utf8'), 'small bytes\n', 'committed when close() returned');
    await ensureRandomFile(path.join(d.tmp, 'large.bin'), 6 * MiB + 12345);
    const cp = await sh(`cp ${d.tmp}/large.bin ${JSON.stringify(path.join(m.mnt, 'new dir', 'large.bin'))}`);
    assert.equal(cp.code, 0, cp.stderr + notable(m));
    assert.equal((await sh(`cmp ${d.tmp}/large.bin ${JSON.stringify(path.join(d.root, 'new dir', 'large.bin'))}`)).code, 0);
    assert.equal((await sh(`cmp ${d.tmp}/large.bin ${JSON.stringify(path.join(m.mnt, 'new dir', 'large.bin'))}`)).code, 0, 'read back through the mount');
    const s = await d.stats();
    assert.ok(s.uploadFragment >= 5, `6 MiB in 1.25 MiB fragments: ${JSON.stringify(s)}`);

    await fs.rename(path.join(m.mnt, 'new dir', 'small.txt'), path.join(m.mnt, 'renamed.txt'));
    assert.equal(await fs.readFile(path.join(d.root, 'renamed.txt'), 'utf8'), 'small bytes\n');
    assert.equal(await fs.readFile(path.join(m.mnt, 'renamed.txt'), 'utf8'), 'small bytes\n');
    await fs.rename(path.join(m.mnt, 'renamed.txt'), path.join(m.mnt, 'hello.txt'));
    assert.equal(await fs.readFile(path.join(d.root, 'hello.txt'), 'utf8'), 'small bytes\n', 'rename over an existing file replaces it');
    const when = new Date('2021-03-04T05:06:07Z');
    await fs.utimes(path.join(m.mnt, 'hello.txt'), when, when);
    assert.equal((await fs.stat(path.join(d.root, 'hello.txt'))).mtime.toISOString(), when.toISOString());
    await fs.rm(path.join(m.mnt, 'new dir'), { recursive: true });
    await assert.rejects(fs.stat(path.join(d.root, 'new dir')), { code: 'ENOENT' });
    await new Promise((r) => setTimeout(r, 2100)); // the drive token has expired now
    await fs.writeFile(path.join(m.mnt, 'after-expiry.txt'), 'later\n');
    assert.equal(await fs.readFile(path.join(d.root, 'after-expiry.txt'), 'utf8'), 'later\n');
    const after = await d.stats();
    assert.ok(after.driveTokenRefused >= 1, `the drive token never expired: ${JSON.stringify(after)}`);
    assert.ok(after.page >= 3, `the drive token was not renewed from the page: ${JSON.stringify(after)}`);
  });
});
