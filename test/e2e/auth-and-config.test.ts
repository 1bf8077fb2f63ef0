import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, runCli, sh, isMounted, exec, waitFor, SERVICES, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function fixture(opts: Parameters<typeof startDrive>[0] = {}) {
  const d = await startDrive({ ...opts, seed: async (root) => fs.writeFile(path.join(root, 'a.txt'), 'A\n') });
  cleanups.push(() => d.close());
  return d;
}
async function mounted(d: DriveFixture, args: string[] = ['--read-only']) {
  const m = await mount(d, args);
  cleanups.push(() => m.unmount());
  return m;
}

// Credentials behave the same for every service.
for (const service of SERVICES) describe(service, () => {
  test('rotated refresh tokens are written back to the config file, mode 0600', async () => {
    const d = await fixture({ service });
    const before = JSON.parse(await fs.readFile(d.configFile, 'utf8')).remotes.od.refreshToken;
    const m = await mounted(d);
    assert.equal(await fs.readFile(path.join(m.mnt, 'a.txt'), 'utf8'), 'A\n');
    const cfg = JSON.parse(await fs.readFile(d.configFile, 'utf8'));
    assert.notEqual(cfg.remotes.od.refreshToken, before, 'the rotated token was not saved');
    assert.equal((await fs.stat(d.configFile)).mode & 0o777, 0o600);
    // The saved token works for a second mount (the old one is refused by the service now).
    await m.unmount();
    const m2 = await mounted(d);
    assert.equal(await fs.readFile(path.join(m2.mnt, 'a.txt'), 'utf8'), 'A\n');
  });

  test('secrets never reach the log, even at debug level', async () => {
    const d = await fixture({ service });
    const m = await mounted(d);
    await fs.readFile(path.join(m.mnt, 'a.txt'));
    const cfg = JSON.parse(await fs.readFile(d.configFile, 'utf8')).remotes.od;
    await m.unmount();
    const log = m.log();
    assert.ok(log.length > 0);
    for (const secret of [cfg.refreshToken, d.emu.info.refreshToken, d.emu.info.clientSecret]) assert.ok(!log.includes(secret), 'a secret was logged');
    // Pre-authenticated download and upload URLs of either emulator (their paths are the credential).
    assert.ok(!/\/_dl\/[A-Za-z0-9]|\/_oss\/(dl|up)\/[A-Za-z0-9]/.test(log), 'a download or upload URL was logged');
    assert.ok(!/Bearer /.test(log), 'an access token was logged');
  });

  test('a revoked refresh token stops the mount with a clear message', async () => {
    const d = await fixture({ service, emulatorArgs: ['--token-ttl', '2'] });
    const m = await mounted(d);
    await d.admin('/_emulator/revoke', {});
    await new Promise((r) => setTimeout(r, 2500));
    const r = await sh(`ls ${m.mnt}/new-name-to-force-a-call`);
    assert.notEqual(r.code, 0);
    const code = await Promise.race([m.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
    assert.equal(code, 1, 'the mount did not stop');
    assert.match(m.log(), /refused the refresh token.*Log in again/);
    await waitFor(() => !isMounted(m.mnt), 'the mount to go away');
  });

  test('a revoked token at start-up is a clear error and no mount', async () => {
    const d = await fixture({ service });
    await d.admin('/_emulator/revoke', {});
    const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
    const r = await runCli(['mount', 'od', mnt, '--config', d.configFile]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the refresh token/);
    assert.match(r.stderr, /Log in again/);
    assert.ok(!isMounted(mnt));
  });
});

test('bad config gives a clear message and a non-zero exit', async () => {
  const d = await fixture();
  const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const cases: [Record<string, unknown> | null, string, RegExp][] = [
    [null, 'nosuch', /unknown remote "nosuch".*defined: od/],
    [{ type: 'onedrive', clientId: 'x' }, 'od', /"refreshToken" is missing/],
    [{ type: 'onedrive', clientId: 'x', refreshToken: 'y', region: 'mars' }, 'od', /"region" is "mars" — must be one of global, cn, us, de/],
    [{ type: 'onedrive', clientId: 'x', refreshToken: 'y', graphUrl: 'not a url' }, 'od', /"graphUrl" is not a valid URL/],
    [{ type: 'dropbox', refreshToken: 'y' }, 'od', /unknown type "dropbox"/],
  ];
  for (const [remote, name, re] of cases) {
    const file = path.join(d.tmp, `bad-${Math.random()}.json`);
    await fs.writeFile(file, JSON.stringify({ remotes: remote ? { od: remote } : { od: { type: 'onedrive' } } }));
    const r = await runCli(['mount', name, mnt, '--config', file]);
    assert.equal(r.code, 2, `${name} ${JSON.stringify(remote)}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes('    at '), `a stack trace was printed: ${r.stderr}`);
  }
  const notJson = path.join(d.tmp, 'broken.json');
  await fs.writeFile(notJson, '{ "remotes": ');
  const r = await runCli(['mount', 'od', mnt, '--config', notJson]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not valid JSON/);
  const missing = await runCli(['mount', 'od', mnt], { DRIVEMOUNT_CONFIG: path.join(d.tmp, 'absent.json') });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no config file at .*absent\.json/);
});

test('a busy mountpoint is refused, a stale one is recovered', async () => {
  const d = await fixture();
  const m = await mounted(d);
  const busy = await runCli(['mount', 'od', m.mnt, '--config', d.configFile]);
  assert.equal(busy.code, 2);
  assert.match(busy.stderr, /is busy/);
  // Kill the mount process: its mountpoint is left dead ("Transport endpoint is not connected").
  m.proc.kill('SIGKILL');
  await m.exited;
  const stale = await sh(`ls ${m.mnt}`);
  assert.match(stale.stderr, /Transport endpoint is not connected/);
  const m2 = await mount(d, ['--read-only'], 'od', m.mnt);
  cleanups.push(() => m2.unmount());
  assert.equal(await fs.readFile(path.join(m.mnt, 'a.txt'), 'utf8'), 'A\n');
  assert.match(m2.log(), /dead FUSE mount/);
  await exec('fusermount', ['-u', m.mnt]);
  assert.equal(await m2.exited, 0, 'the mount process did not exit cleanly after fusermount -u');
});

test('unmounted from outside, the process exits cleanly; drivemount unmount works', async () => {
  const d = await fixture();
  const m = await mounted(d);
  const r = await runCli(['unmount', m.mnt]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await m.exited, 0);
  const again = await runCli(['unmount', m.mnt]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /is not mounted/);
});
