// The remote-management and inspection commands as a user runs them: `drivemount config
// list|show|set|remove|path`, `about` and `ls`, each a real CLI process against the emulators.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { deviceKey } from '../../src/drives/aliyundrive/legacy/device-key.js';
import { startDrive, runCli, MiB, SERVICES, type DriveFixture, type Service } from '../helpers/harness.js';
import { counted, counterName } from '../helpers/call-counters.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function fixture(opts: Parameters<typeof startDrive>[0]): Promise<DriveFixture> {
  const d = await startDrive(opts);
  cleanups.push(() => d.close());
  return d;
}

/** `drivemount --config FILE ARGS…` */
const cli = (file: string, ...args: string[]) => runCli(['--config', file, ...args]);

async function remoteOf(file: string, name = 'od'): Promise<Record<string, unknown>> {
  return JSON.parse(await fs.readFile(file, 'utf8')).remotes[name];
}

async function mode(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}

function noStackTrace(text: string): void {
  assert.ok(!/\n\s+at .+:\d+:\d+/.test(text) && !text.includes('unexpected error'), `a stack trace / internal error was printed:\n${text}`);
}

/** The seeded content of the drive the `ls` and `about` tests look at. */
const SEED = {
  'a.txt': 'hello\n',
  'with space.txt': 'abc',
  'sub/b.bin': 12_345,
  'sub/c.txt': 'see\n',
} as const;

async function seedTree(root: string): Promise<void> {
  for (const [rel, content] of Object.entries(SEED)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), typeof content === 'number' ? Buffer.alloc(content, 7) : content);
  }
  await fs.mkdir(path.join(root, 'sub', 'inner'), { recursive: true });
  await fs.mkdir(path.join(root, 'empty-folder'));
}

// ---- what the emulator itself serves, asked directly (not through drivemount) ----

interface EmulatorAccount {
  account: string;
  driveId: string;
  driveType?: string;
  used: number;
  total: number;
}

/** A fresh access token and the emulator's own answer for the account, drive and space. */
async function emulatorAccount(service: Service, d: DriveFixture): Promise<EmulatorAccount> {
  const { url, clientId, clientSecret } = d.emu.info;
  const { refresh_token } = (await d.admin('/_emulator/refresh-token', {})) as { refresh_token: string };
  if (service === 'onedrive') {
    const tok = await fetch(`${url}/common/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token, client_id: clientId, client_secret: clientSecret }),
    });
    assert.equal(tok.status, 200, 'the emulator did not give the test a token');
    const { access_token } = (await tok.json()) as { access_token: string };
    const res = await fetch(`${url}/v1.0/me/drive`, { headers: { authorization: `Bearer ${access_token}` } });
    assert.equal(res.status, 200);
    const drive = (await res.json()) as { id: string; driveType: string; owner: { user: { displayName: string } }; quota: { used: number; total: number } };
    return { account: drive.owner.user.displayName, driveId: drive.id, driveType: drive.driveType, used: drive.quota.used, total: drive.quota.total };
  }
  if (service === 'aliyundrive-legacy') return legacyAccount(url, refresh_token);
  const tok = await fetch(`${url}/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', refresh_token, client_id: clientId, client_secret: clientSecret }),
  });
  assert.equal(tok.status, 200, 'the emulator did not give the test a token');
  const { access_token } = (await tok.json()) as { access_token: string };
  const call = async (api: string) => {
    const res = await fetch(`${url}/adrive/v1.0/${api}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200, api);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const info = (await call('user/getDriveInfo')) as { name: string; default_drive_id: string };
  const space = (await call('user/getSpaceInfo')) as { personal_space_info: { used_size: number; total_size: number } };
  return { account: info.name, driveId: info.default_drive_id, used: space.personal_space_info.used_size, total: space.personal_space_info.total_size };
}

/** The same through the legacy API: its token host, /v2/user/get, a device session, the space call. */
async function legacyAccount(url: string, refreshToken: string): Promise<EmulatorAccount> {
  const post = async (p: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-canary': 'client=Android,app=adrive,version=v4.1.0', 'x-request-id': randomUUID(), ...headers },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, p);
    return res.json() as Promise<Record<string, any>>;
  };
  const tok = await post('/v2/account/token', { refresh_token: refreshToken, grant_type: 'refresh_token' });
  const bearer = { authorization: `Bearer ${tok.access_token}` };
  const user = await post('/v2/user/get', {}, bearer);
  const k = deviceKey(user.user_id);
  const device = { ...bearer, 'x-device-id': k.deviceId, 'x-signature': k.signature };
  await post('/users/v1/users/device/create_session', { deviceName: 'test', modelName: 'test', nonce: 0, pubKey: k.pubKey, refreshToken: tok.refresh_token }, device);
  const space = (await post('/v2/databox/get_personal_info', {}, device)) as { personal_space_info: { used_size: number; total_size: number } };
  return { account: user.nick_name, driveId: user.default_drive_id, used: space.personal_space_info.used_size, total: space.personal_space_info.total_size };
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: MiB, GiB: 1024 * MiB, TiB: 1024 * 1024 * MiB, PiB: 1024 ** 5 };
function bytesOf(n: string, unit: string): number {
  const u = UNITS[unit];
  assert.ok(u !== undefined, `unknown unit ${unit}`);
  return Number(n) * u;
}
/** Equal to within the rounding of a three-digit figure. */
function near(actual: number, expected: number, what: string): void {
  const tol = Math.max(1, expected * 0.006);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: shown ${actual} bytes, the emulator says ${expected}`);
}

/** The `space:` line of `about` as numbers. */
function parseSpace(stdout: string): { used: number; total: number; free?: number } {
  const m = /^space:\s+([\d.]+) (\w+) used of ([\d.]+) (\w+)(?: \(([\d.]+) (\w+) free\))?\s*$/m.exec(stdout);
  assert.ok(m, `no space line in:\n${stdout}`);
  return { used: bytesOf(m[1]!, m[2]!), total: bytesOf(m[3]!, m[4]!), free: m[5] ? bytesOf(m[5], m[6]!) : undefined };
}

// ---- ls output ----

interface LsLine {
  dir: boolean;
  size: string;
  name: string;
}
/** `d     -  2024-05-06 07:08  name/` or `- 12345  2024-05-06 07:08  name` */
function parseLs(stdout: string): LsLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^([d-])\s+(\S+)\s+(?:\d{4}-\d\d-\d\d \d\d:\d\d|\s{16})\s\s(.+)$/.exec(l);
      assert.ok(m, `unexpected ls line: ${JSON.stringify(l)}`);
      return { dir: m[1] === 'd', size: m[2]!, name: m[3]! };
    });
}

for (const service of SERVICES) describe(`${service}: about and ls`, () => {
  let d: DriveFixture;
  before(async () => {
    d = await fixture({ service, seed: seedTree });
  });

  test('about prints the account, drive type and space the service reports', async () => {
    const r = await cli(d.configFile, 'about', 'od');
    assert.equal(r.code, 0, r.stderr);
    const emu = await emulatorAccount(service, d);
    assert.match(r.stdout, /^remote:\s+od$/m);
    const account = /^account:\s+(.+)$/m.exec(r.stdout);
    assert.equal(account?.[1], emu.account);
    const drive = /^drive:\s+(.+)$/m.exec(r.stdout)?.[1] ?? '';
    assert.ok(drive.includes(emu.driveId), `drive line "${drive}" lacks the drive id ${emu.driveId}`);
    assert.ok(drive.startsWith(emu.driveType ?? 'default'), `drive line "${drive}" does not name the drive type`);
    const seeded = Object.values(SEED).reduce<number>((n, c) => n + (typeof c === 'number' ? c : Buffer.byteLength(c)), 0);
    assert.equal(emu.used, seeded, 'the emulator does not count the seeded bytes (test assumption)');
    const space = parseSpace(r.stdout);
    near(space.used, emu.used, 'used');
    near(space.total, emu.total, 'total');
    assert.ok(space.free !== undefined, 'free space is not shown');
    near(space.free!, emu.total - emu.used, 'free');
  });

  test('about follows the drive: more bytes in the root folder and a smaller quota show up', async () => {
    await fs.writeFile(path.join(d.root, 'added.bin'), Buffer.alloc(3 * MiB, 1));
    await d.setFaults({ quotaTotal: 40 * MiB });
    // The emulators cache their usage figure for up to a second.
    await new Promise((r) => setTimeout(r, 1100));
    try {
      const r = await cli(d.configFile, 'about', 'od');
      assert.equal(r.code, 0, r.stderr);
      const emu = await emulatorAccount(service, d);
      assert.equal(emu.total, 40 * MiB);
      assert.ok(emu.used >= 3 * MiB);
      const space = parseSpace(r.stdout);
      near(space.used, emu.used, 'used');
      near(space.total, 40 * MiB, 'total');
      near(space.free!, 40 * MiB - emu.used, 'free');
    } finally {
      await d.setFaults({ quotaTotal: 1024 ** 4 });
      await fs.rm(path.join(d.root, 'added.bin'));
    }
  });

  test('ls REMOTE lists the root: folders with a trailing /, files with their size', async () => {
    const r = await cli(d.configFile, 'ls', 'od');
    assert.equal(r.code, 0, r.stderr);
    const lines = parseLs(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.name).sort(),
      ['a.txt', 'empty-folder/', 'sub/', 'with space.txt'],
    );
    const byName = new Map(lines.map((l) => [l.name, l]));
    assert.equal(byName.get('a.txt')!.size, String(Buffer.byteLength(SEED['a.txt'])));
    assert.equal(byName.get('a.txt')!.dir, false);
    assert.equal(byName.get('with space.txt')!.size, '3');
    assert.equal(byName.get('sub/')!.dir, true);
    assert.equal(byName.get('empty-folder/')!.dir, true);
    assert.match(r.stderr, /^4 entries, \d+ requests$/m);
  });

  test('ls REMOTE:/sub lists that folder; ls REMOTE:/file shows just the file', async () => {
    const sub = await cli(d.configFile, 'ls', 'od:/sub');
    assert.equal(sub.code, 0, sub.stderr);
    const lines = parseLs(sub.stdout);
    assert.deepEqual(lines.map((l) => `${l.name} ${l.dir ? '-' : l.size}`).sort(), ['b.bin 12345', 'c.txt 4', 'inner/ -']);
    assert.match(sub.stderr, /^3 entries, \d+ requests$/m);

    const file = await cli(d.configFile, 'ls', 'od:/sub/b.bin');
    assert.equal(file.code, 0, file.stderr);
    const one = parseLs(file.stdout);
    assert.equal(one.length, 1, file.stdout);
    assert.deepEqual(one[0], { dir: false, size: '12345', name: 'b.bin' });
    assert.match(file.stderr, /^1 entry, \d+ requests$/m);

    const empty = await cli(d.configFile, 'ls', 'od:/empty-folder');
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout.trim(), '');
    assert.match(empty.stderr, /^0 entries, \d+ requests$/m);
  });

  test('ls of a missing path fails with a clear message', async () => {
    for (const spec of ['od:/missing', 'od:/sub/missing.txt', 'od:/missing/deeper', 'od:/sub/b.bin/under-a-file']) {
      const r = await cli(d.configFile, 'ls', spec);
      assert.notEqual(r.code, 0, `${spec} succeeded: ${r.stdout}`);
      assert.equal(r.code, 1, `${spec}: exit code ${r.code}`);
      assert.equal(r.stdout, '');
      // It names the path, or the part of it that is missing.
      const p = spec.slice(spec.indexOf(':') + 1);
      const prefixes = p.split('/').slice(2).map((_, i, parts) => '/' + p.split('/').slice(1, i + 2).join('/'));
      assert.ok([p, ...prefixes].some((x) => r.stderr.includes(x)), `${spec}: the message does not name the path: ${r.stderr}`);
      assert.match(r.stderr, /not ?found|no such/i);
      noStackTrace(r.stderr);
    }
  });
});

for (const service of SERVICES) test(`${service}: ls of a 150-file folder costs its listing pages, not a call per file`, async () => {
  const N = 150;
  const d = await fixture({
    service,
    seed: async (root) => {
      for (let i = 0; i < N; i++) await fs.writeFile(path.join(root, `f${String(i).padStart(3, '0')}.txt`), 'x'.repeat(i));
      await fs.mkdir(path.join(root, 'many'));
      for (let i = 0; i < N; i++) await fs.writeFile(path.join(root, 'many', `g${String(i).padStart(3, '0')}.txt`), `${i}\n`);
    },
  });
  // Listing pages for N children: OneDrive returns up to 1000 (one page), Aliyundrive's Open API
  // at most 100, its legacy API at most 200.
  const pageSize = ({ onedrive: 1000, 'aliyundrive-legacy': 200 } as Record<string, number>)[service] ?? 100;
  const pages = Math.ceil(N / pageSize);
  const listingKey = service === 'onedrive' ? 'children' : counterName(service, 'list');
  const perItemKeys = service === 'onedrive' ? ['item', 'content'] : ['get', 'getByPath', 'getDownloadUrl'].map((k) => counterName(service, k));
  const api = (s: Record<string, number>) => counted(service, s, 'api');
  const token = (s: Record<string, number>) => counted(service, s, 'token');

  // Listing calls the service actually served (Aliyundrive counts calls on arrival, including
  // the ones its per-user rate limit refused with 429 and drivemount then retried).
  const served = (s: Record<string, number>) => s[listingKey]! - s.throttled!;

  // The root: nothing to resolve, only the listing itself.
  await d.resetStats();
  const r = await cli(d.configFile, 'ls', 'od');
  assert.equal(r.code, 0, r.stderr);
  const lines = parseLs(r.stdout);
  assert.equal(lines.length, N + 1);
  assert.deepEqual(lines.find((l) => l.name === 'f149.txt'), { dir: false, size: '149', name: 'f149.txt' });
  assert.deepEqual(lines.find((l) => l.name === 'many/'), { dir: true, size: '-', name: 'many/' });
  const m = /^(\d+) entries, (\d+) requests$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(Number(m[1]), N + 1);
  const s = await d.stats();
  assert.equal(served(s), pages, `listing calls: ${JSON.stringify(s)}`);
  const perItem = perItemKeys.reduce((n, k) => n + (s[k] ?? 0), 0);
  assert.ok(perItem <= 1, `calls per item: ${JSON.stringify(s)}`);
  assert.ok(api(s) - s.throttled! <= pages + 3, `API calls for one ls: ${JSON.stringify(s)}`);
  // What the command reports agrees with what the service saw.
  const reported = Number(m[2]);
  assert.ok(reported >= pages, `reported ${reported} requests, but the service served ${pages} listing pages`);
  assert.ok(reported <= api(s) + token(s), `reported ${reported} requests, the service saw ${api(s)} API + ${token(s)} token calls`);

  // A sub-folder: its listing, plus at most listing the root (N + 1 entries) to find it.
  const rootPages = Math.ceil((N + 1) / pageSize);
  await d.resetStats();
  const sub = await cli(d.configFile, 'ls', 'od:/many');
  assert.equal(sub.code, 0, sub.stderr);
  assert.equal(parseLs(sub.stdout).length, N);
  const ms = /^(\d+) entries, (\d+) requests$/m.exec(sub.stderr);
  assert.ok(ms, sub.stderr);
  assert.equal(Number(ms[1]), N);
  const s2 = await d.stats();
  if (service === 'onedrive') assert.equal(s2.children, 1, `listing calls: ${JSON.stringify(s2)}`);
  assert.ok(served(s2) >= pages && served(s2) <= pages + rootPages, `listing calls: ${JSON.stringify(s2)}`);
  const perItem2 = perItemKeys.reduce((n, k) => n + (s2[k] ?? 0), 0);
  assert.ok(perItem2 <= 2, `calls per item: ${JSON.stringify(s2)}`);
  assert.ok(api(s2) - s2.throttled! <= pages + rootPages + 3, `API calls for one ls: ${JSON.stringify(s2)}`);
  assert.ok(Number(ms[2]) >= pages, `reported ${ms[2]} requests`);
  assert.ok(Number(ms[2]) <= api(s2) + token(s2), `reported ${ms[2]} requests, the service saw ${JSON.stringify(s2)}`);
});

for (const service of SERVICES) test(`${service}: a revoked token makes about and ls fail with "log in again", no stack trace`, async () => {
  const d = await fixture({ service, seed: async (root) => fs.writeFile(path.join(root, 'a.txt'), 'A\n') });
  const ok = await cli(d.configFile, 'about', 'od');
  assert.equal(ok.code, 0, ok.stderr);
  await d.admin('/_emulator/revoke', {});
  for (const args of [['about', 'od'], ['ls', 'od']]) {
    const r = await cli(d.configFile, ...args);
    assert.notEqual(r.code, 0, `${args.join(' ')} succeeded after the revoke`);
    assert.equal(r.stdout, '', `${args.join(' ')} printed results: ${r.stdout}`);
    assert.match(r.stderr, /log in again/i);
    assert.match(r.stderr, /"od"/, 'the message does not name the remote');
    noStackTrace(r.stderr);
  }
});

for (const service of SERVICES) describe(`${service}: config show, set`, () => {
  let d: DriveFixture;
  before(async () => {
    d = await fixture({ service, seed: seedTree });
  });

  test('config show NAME and config show never print a secret, show them masked, and show the rest', async () => {
    // Use the remote once so the service rotates its token and drivemount writes the new one back.
    const about = await cli(d.configFile, 'about', 'od');
    assert.equal(about.code, 0, about.stderr);
    // A second remote with secrets of its own.
    const cfg = JSON.parse(await fs.readFile(d.configFile, 'utf8'));
    // The legacy API has no app of its own: its only secret is the refresh token.
    const hasClient = service !== 'aliyundrive-legacy';
    cfg.remotes.other = { ...cfg.remotes.od, refreshToken: 'RT-other-0123456789-secret', ...(hasClient ? { clientSecret: 'CS-other-secret-xyz' } : {}) };
    const file = path.join(d.tmp, 'show.json');
    await fs.writeFile(file, JSON.stringify(cfg), { mode: 0o600 });
    const od = cfg.remotes.od as Record<string, string>;
    const secrets = hasClient ? [od.refreshToken!, od.clientSecret!, 'RT-other-0123456789-secret', 'CS-other-secret-xyz'] : [od.refreshToken!, 'RT-other-0123456789-secret'];
    assert.ok(secrets.every((s) => typeof s === 'string' && s.length > 0));

    const one = await cli(file, 'config', 'show', 'od');
    const all = await cli(file, 'config', 'show');
    const list = await cli(file, 'config', 'list');
    for (const [what, r] of [['show od', one], ['show', all], ['list', list]] as const) {
      assert.equal(r.code, 0, `${what}: ${r.stderr}`);
      for (const s of secrets) {
        assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `config ${what} printed a secret (${s.slice(0, 6)}…)`);
      }
    }
    // Present, masked with their length.
    assert.match(one.stdout, new RegExp(`refreshToken\\W+\\(hidden, ${od.refreshToken!.length} characters\\)`));
    if (hasClient) assert.match(one.stdout, new RegExp(`clientSecret\\W+\\(hidden, ${od.clientSecret!.length} characters\\)`));
    assert.ok(!one.stdout.includes('"other"'), 'config show od showed another remote');
    // Non-secret settings are shown as they are.
    const url = d.emu.info.url;
    const type = ({ onedrive: 'onedrive', 'aliyundrive-legacy': 'aliyundrive' } as Record<string, string>)[service] ?? 'aliyundrive-open';
    for (const v of [...(hasClient ? [od.clientId!] : []), url, type]) {
      assert.ok(one.stdout.includes(v), `config show od does not show ${v}:\n${one.stdout}`);
    }
    // All remotes, each masked.
    assert.ok(all.stdout.includes('"od"') && all.stdout.includes('"other"'), all.stdout);
    assert.match(all.stdout, /refreshToken\W+\(hidden, 26 characters\)/);
    if (hasClient) assert.match(all.stdout, /clientSecret\W+\(hidden, 19 characters\)/);
    assert.ok(all.stdout.includes(file), 'config show does not say which file');

    const unknown = await cli(file, 'config', 'show', 'nosuch');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown remote "nosuch"/);
  });

  test('config set changes values (file stays 0600 and valid JSON), key= removes one, and the result works', async () => {
    const file = path.join(d.tmp, 'set.json');
    await fs.copyFile(d.configFile, file);
    await fs.chmod(file, 0o600);
    const before = await remoteOf(file);
    // A refresh token of its own, so this copy does not spend the fixture's; set like any other value.
    const { refresh_token } = (await d.admin('/_emulator/refresh-token', {})) as { refresh_token: string };
    const setToken = await cli(file, 'config', 'set', 'od', `refreshToken=${refresh_token}`);
    assert.equal(setToken.code, 0, setToken.stderr);
    assert.ok(!setToken.stdout.includes(refresh_token) && !setToken.stderr.includes(refresh_token), 'config set printed the refresh token');
    assert.match(setToken.stdout, /refreshToken.*hidden/);
    assert.equal((await remoteOf(file)).refreshToken, refresh_token);

    if (service === 'onedrive') {
      const r = await cli(file, 'config', 'set', 'od', 'rootPath=/sub', 'tenant=consumers');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /rootPath/);
      const after = await remoteOf(file);
      assert.equal(after.rootPath, '/sub');
      assert.equal(after.tenant, 'consumers');
      // The rest is untouched.
      for (const k of ['type', 'clientId', 'clientSecret', 'authUrl', 'graphUrl']) assert.equal(after[k], before[k], k);
      // The new setting is used: the remote now shows the folder /sub.
      const ls = await cli(file, 'ls', 'od');
      assert.equal(ls.code, 0, ls.stderr);
      assert.deepEqual(parseLs(ls.stdout).map((l) => l.name).sort(), ['b.bin', 'c.txt', 'inner/']);
      // key= removes it again.
      const rm = await cli(file, 'config', 'set', 'od', 'rootPath=', 'tenant=');
      assert.equal(rm.code, 0, rm.stderr);
      const removed = await remoteOf(file);
      assert.ok(!('rootPath' in removed) && !('tenant' in removed), JSON.stringify(removed));
    } else if (service === 'aliyundrive-legacy') {
      const r = await cli(file, 'config', 'set', 'od', 'rapidUpload=true', 'removeWay=trash');
      assert.equal(r.code, 0, r.stderr);
      const after = await remoteOf(file);
      assert.equal(after.rapidUpload, true, 'rapidUpload is not stored as a boolean');
      assert.equal(after.removeWay, 'trash');
      for (const k of ['type', 'authUrl', 'apiUrl']) assert.equal(after[k], before[k], k);
      const ls = await cli(file, 'ls', 'od');
      assert.equal(ls.code, 0, `the remote no longer works after config set: ${ls.stderr}`);
      const rm = await cli(file, 'config', 'set', 'od', 'removeWay=', 'rapidUpload=');
      assert.equal(rm.code, 0, rm.stderr);
      const removed = await remoteOf(file);
      assert.ok(!('removeWay' in removed) && !('rapidUpload' in removed), JSON.stringify(removed));
    } else {
      const r = await cli(file, 'config', 'set', 'od', 'rapidUpload=true', 'removeWay=delete', 'maxConcurrentDownloads=2');
      assert.equal(r.code, 0, r.stderr);
      const after = await remoteOf(file);
      assert.equal(after.rapidUpload, true, 'rapidUpload is not stored as a boolean');
      assert.equal(after.removeWay, 'delete');
      assert.equal(after.maxConcurrentDownloads, 2, 'maxConcurrentDownloads is not stored as a number');
      for (const k of ['type', 'clientId', 'clientSecret', 'apiUrl']) assert.equal(after[k], before[k], k);
      const ls = await cli(file, 'ls', 'od');
      assert.equal(ls.code, 0, `the remote no longer works after config set: ${ls.stderr}`);
      const rm = await cli(file, 'config', 'set', 'od', 'removeWay=', 'rapidUpload=');
      assert.equal(rm.code, 0, rm.stderr);
      const removed = await remoteOf(file);
      assert.ok(!('removeWay' in removed) && !('rapidUpload' in removed), JSON.stringify(removed));
      assert.equal(removed.maxConcurrentDownloads, 2);
    }
    assert.equal(await mode(file), 0o600);
    JSON.parse(await fs.readFile(file, 'utf8'));
  });

  test('config set refuses bad input with exit code 2, a clear message and the file byte-identical', async () => {
    const file = path.join(d.tmp, 'refuse.json');
    await fs.copyFile(d.configFile, file);
    await fs.chmod(file, 0o600);
    const original = await fs.readFile(file);
    const cases: [string, string[], RegExp][] = [
      ['od', ['bogus=1'], /unknown setting "bogus"/],
      ['od', ['noequals'], /"noequals" is not key=value/],
      ['od', ['=value'], /not key=value/],
      ['nosuch', ['clientId=x'], /unknown remote "nosuch"/],
      ['od', ['type=dropbox'], /unknown type "dropbox"/],
      // Validated as a whole: a good pair beside a bad one changes nothing either.
      ['od', [service === 'aliyundrive-legacy' ? 'rootFolderId=changed' : 'clientId=changed', 'bogus=1'], /unknown setting "bogus"/],
      ['od', ['refreshToken='], /"refreshToken" is missing/],
    ];
    if (service === 'onedrive') {
      cases.push(
        ['od', ['region=mars'], /"region" is "mars" — must be one of global, cn, us, de/],
        ['od', ['graphUrl=not a url'], /"graphUrl" is not a valid URL/],
        ['od', ['rootPath=relative'], /"rootPath" must start with "\/"/],
        ['od', ['siteId=s', 'driveId=d'], /"driveId" or "siteId", not both/],
      );
    } else if (service === 'aliyundrive-legacy') {
      cases.push(
        ['od', ['rapidUpload=maybe'], /"rapidUpload" takes true or false/],
        ['od', ['apiUrl=not a url'], /"apiUrl" is not a valid URL/],
        ['od', ['driveType=cloud'], /"driveType" is "cloud"/],
        // No permanent-delete call is known for the legacy API: refused, not quietly trashed.
        ['od', ['removeWay=delete'], /"removeWay" "delete" is not available with the legacy API.*use "trash"/],
      );
    } else {
      cases.push(
        ['od', ['rapidUpload=maybe'], /"rapidUpload" takes true or false/],
        ['od', ['apiUrl=not a url'], /"apiUrl" is not a valid URL/],
        ['od', ['driveType=cloud'], /"driveType" is "cloud"/],
        ['od', ['maxConcurrentDownloads=lots'], /"maxConcurrentDownloads" takes a whole number/],
      );
    }
    for (const [name, pairs, re] of cases) {
      const what = `config set ${name} ${pairs.join(' ')}`;
      const r = await cli(file, 'config', 'set', name, ...pairs);
      assert.equal(r.code, 2, `${what}: exit ${r.code}, ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re, what);
      noStackTrace(r.stderr);
      assert.ok((await fs.readFile(file)).equals(original), `${what} changed the file`);
    }
    assert.equal(await mode(file), 0o600);
  });

  test('a client secret set with config set is masked in its own output', { skip: service === 'aliyundrive-legacy' && 'the legacy API has no client secret (a mobile-app refresh token only)' }, async () => {
    const file = path.join(d.tmp, 'secret.json');
    await fs.copyFile(d.configFile, file);
    const secret = `s3cret-${service}-${process.pid}-value`;
    const r = await cli(file, 'config', 'set', 'od', `clientSecret=${secret}`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `config set printed the secret: ${r.stdout}`);
    assert.match(r.stdout, new RegExp(`clientSecret.*hidden, ${secret.length} characters`));
    assert.equal((await remoteOf(file)).clientSecret, secret);
    assert.equal(await mode(file), 0o600);
    const show = await cli(file, 'config', 'show', 'od');
    assert.ok(!show.stdout.includes(secret));
  });
});

describe('config list, remove, path', () => {
  let files: Record<Service, string>;
  const dir = { tmp: '' };
  before(async () => {
    files = {} as Record<Service, string>;
    for (const service of SERVICES) files[service] = (await fixture({ service })).configFile;
    dir.tmp = path.dirname(path.dirname(files.onedrive));
  });

  /** One config file with a remote of each service, plus a OneDrive one pointing at a folder. */
  async function combined(name: string): Promise<{ file: string; remotes: Record<string, Record<string, unknown>> }> {
    const remotes: Record<string, Record<string, unknown>> = {
      work: await remoteOf(files.onedrive),
      ali: { ...(await remoteOf(files.aliyundrive)), driveType: 'resource' },
      music: { ...(await remoteOf(files.onedrive)), rootPath: '/Music', region: 'cn' },
    };
    const file = path.join(dir.tmp, name);
    await fs.writeFile(file, JSON.stringify({ remotes }, null, 2), { mode: 0o600 });
    return { file, remotes };
  }

  test('config list prints one line per remote with its type', async () => {
    const { file, remotes } = await combined('list.json');
    const r = await cli(file, 'config', 'list');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.trim());
    assert.equal(lines.length, 3, r.stdout);
    for (const [name, remote] of Object.entries(remotes)) {
      const line = lines.find((l) => l.split(/\s+/)[0] === name);
      assert.ok(line, `no line for ${name}:\n${r.stdout}`);
      assert.ok(line.split(/\s+/).includes(String(remote.type)), `the line of ${name} lacks its type: ${line}`);
    }
    // Where each points, as README promises.
    assert.match(lines.find((l) => l.startsWith('music'))!, /\/Music/);
    assert.match(lines.find((l) => l.startsWith('ali'))!, /resource/);
    for (const remote of Object.values(remotes)) {
      assert.ok(!r.stdout.includes(String(remote.refreshToken)) && !r.stdout.includes(String(remote.clientSecret)), 'config list printed a secret');
    }
  });

  test('config list of a missing or empty config says how to add a remote, and creates nothing', async () => {
    const missing = path.join(dir.tmp, 'nowhere', 'config.json');
    const empty = path.join(dir.tmp, 'empty.json');
    await fs.writeFile(empty, JSON.stringify({ remotes: {} }));
    for (const file of [missing, empty]) {
      const r = await cli(file, 'config', 'list');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /no remotes/i);
      assert.match(r.stdout + r.stderr, /drivemount login/);
    }
    await assert.rejects(fs.stat(missing), { code: 'ENOENT' }, 'config list created the config file');
    // Through the environment variable as well.
    const env = await runCli(['config', 'list'], { DRIVEMOUNT_CONFIG: missing });
    assert.equal(env.code, 0, env.stderr);
    assert.ok((env.stdout + env.stderr).includes(missing), 'the message does not say which file it looked at');
  });

  test('config remove deletes only that remote; the file stays 0600; an unknown remote is exit 2', async () => {
    const { file, remotes } = await combined('remove.json');
    await fs.chmod(file, 0o600);
    const r = await cli(file, 'config', 'remove', 'music');
    assert.equal(r.code, 0, r.stderr);
    const after = JSON.parse(await fs.readFile(file, 'utf8'));
    assert.deepEqual(Object.keys(after.remotes).sort(), ['ali', 'work']);
    assert.deepEqual(after.remotes.work, remotes.work);
    assert.deepEqual(after.remotes.ali, remotes.ali);
    assert.equal(await mode(file), 0o600);

    const bytes = await fs.readFile(file);
    const unknown = await cli(file, 'config', 'remove', 'music');
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown remote "music"/);
    noStackTrace(unknown.stderr);
    assert.ok((await fs.readFile(file)).equals(bytes), 'removing an unknown remote changed the file');

    const list = await cli(file, 'config', 'list');
    assert.deepEqual(list.stdout.split('\n').filter((l) => l.trim()).map((l) => l.split(/\s+/)[0]).sort(), ['ali', 'work']);

    // A remote left behind still works.
    const about = await cli(file, 'about', 'ali');
    assert.equal(about.code, 0, about.stderr);
  });

  test('remote names that happen to be object properties (__proto__, constructor) are unknown remotes too', async () => {
    const { file } = await combined('proto.json');
    const original = await fs.readFile(file);
    const problems: string[] = [];
    for (const name of ['__proto__', 'constructor', 'toString']) {
      for (const args of [['config', 'show', name], ['config', 'remove', name], ['config', 'set', name, 'type=onedrive', 'refreshToken=t', 'clientId=c']]) {
        const r = await cli(file, ...args);
        if (r.code !== 2 || !/unknown remote/.test(r.stderr)) problems.push(`${args.join(' ')} → exit ${r.code}: ${(r.stdout + r.stderr).trim().replace(/\s+/g, ' ')}`);
        noStackTrace(r.stderr);
        if (!(await fs.readFile(file)).equals(original)) {
          problems.push(`${args.join(' ')} rewrote the config file`);
          await fs.writeFile(file, original);
        }
      }
    }
    assert.deepEqual(problems, [], `not refused as unknown remotes:\n${problems.join('\n')}`);
  });

  test('config path names the file in use: --config, then DRIVEMOUNT_CONFIG, then XDG_CONFIG_HOME', async () => {
    const explicit = await runCli(['--config', 'rel/config.json', 'config', 'path']);
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.equal(explicit.stdout.trim(), path.resolve('rel/config.json'));
    const fromEnv = await runCli(['config', 'path'], { DRIVEMOUNT_CONFIG: path.join(dir.tmp, 'env.json') });
    assert.equal(fromEnv.stdout.trim(), path.join(dir.tmp, 'env.json'));
    const xdg = await runCli(['config', 'path'], { DRIVEMOUNT_CONFIG: '', XDG_CONFIG_HOME: path.join(dir.tmp, 'xdg') });
    assert.equal(xdg.stdout.trim(), path.join(dir.tmp, 'xdg', 'drivemount', 'config.json'));
  });
});
