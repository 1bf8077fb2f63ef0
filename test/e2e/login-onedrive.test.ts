// `drivemount login onedrive` end to end against the Graph emulator, driven like a user:
// the command prints an address, a scripted "browser" follows it (the emulator consents), and
// the command stores a working remote. Refusals, expiry and bad input end with a clear message,
// a non-zero exit, and no remote written.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, statSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startOneDriveEmulator, type OneDriveEmulator } from '../../src/emulators/onedrive/server.js';
import { CliSession } from '../helpers/cli-session.js';
import { runCli } from '../helpers/harness.js';

let emu: OneDriveEmulator;
let work: string;
let n = 0;

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'dm-login-od-'));
  const root = path.join(work, 'me');
  const team = path.join(work, 'team');
  mkdirSync(path.join(root, 'Music'), { recursive: true });
  mkdirSync(team);
  writeFileSync(path.join(root, 'hello.txt'), 'hello\n');
  writeFileSync(path.join(team, 'plan.md'), '# plan\n');
  emu = await startOneDriveEmulator({ root, sites: { team: { root: team, webUrl: 'https://contoso.sharepoint.com/sites/team' } } });
});

after(async () => {
  await emu?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh config path (not created yet) and the login arguments pointing at the emulator. */
function fixture(extra: string[] = [], o: { secret?: string } = {}) {
  const config = path.join(work, `config-${++n}`, 'config.json');
  const args = [
    '--config', config, 'login', 'onedrive', '--name', 'od',
    '--client-id', emu.clientId, '--client-secret', o.secret ?? emu.clientSecret,
    '--auth-url', emu.url, '--graph-url', emu.url, '--port', '0', '--timeout', '30',
    ...extra,
  ];
  return { config, args };
}

/** The scripted browser: open the authorize address; the emulator (signed in, consenting) redirects. */
async function browse(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  assert.equal(res.status, 302, `authorize answered ${res.status}: ${await res.text()}`);
  assert.ok(location, 'the authorize answer has a Location');
  return location;
}

const authorizeLine = /^\s+(http\S+\/oauth2\/v2\.0\/authorize\?\S+)\r?$/m;

function savedRemote(config: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(config, 'utf8')) as { remotes: Record<string, Record<string, unknown>> }).remotes.od!;
}

test('browser login: the loopback redirect is caught, the remote saved 0600, and it works', async () => {
  const { config, args } = fixture();
  const s = new CliSession(args);
  try {
    const [, url] = await s.waitFor(authorizeLine);
    const u = new URL(url!);
    assert.equal(u.searchParams.get('response_type'), 'code');
    assert.match(u.searchParams.get('redirect_uri')!, /^http:\/\/localhost:\d+\/$/);
    assert.match(u.searchParams.get('scope')!, /offline_access/);
    const back = await browse(url!);
    const page = await fetch(back); // the browser follows the redirect to our loopback listener
    assert.equal(page.status, 200);
    assert.match(await page.text(), /close this window/);
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  assert.equal(statSync(config).mode & 0o777, 0o600);
  const r = savedRemote(config);
  assert.equal(r.type, 'onedrive');
  assert.equal(r.clientId, emu.clientId);
  assert.equal(typeof r.refreshToken, 'string');
  assert.ok(!s.output.includes(r.refreshToken as string), 'the refresh token is never printed');
  assert.ok(!s.output.includes(emu.clientSecret), 'the client secret is never printed');
  assert.match(s.output, /Created remote "od"/);
  const about = await runCli(['--config', config, 'about', 'od']);
  assert.equal(about.code, 0, about.stderr);
  assert.match(about.stdout, /drive:\s+personal/);
  const ls = await runCli(['--config', config, 'ls', 'od']);
  assert.match(ls.stdout, /hello\.txt/);
});

test('a declined consent ends the login with the reason and saves nothing', async () => {
  emu.setFaults({ denyConsent: 1 } as never);
  const { config, args } = fixture();
  const s = new CliSession(args);
  try {
    const [, url] = await s.waitFor(authorizeLine);
    const back = await browse(url!);
    assert.match(back, /error=access_denied/);
    await fetch(back);
    assert.equal(await s.exited, 1);
  } finally {
    emu.setFaults({ denyConsent: 0 } as never);
    s.kill();
  }
  assert.match(s.output, /refused: access_denied/);
  assert.ok(!existsSync(config), 'no config file is written');
});

test('a wrong client secret is refused by the token endpoint: clear message, nothing saved', async () => {
  const { config, args } = fixture([], { secret: 'not-the-secret' });
  const s = new CliSession(args);
  try {
    const [, url] = await s.waitFor(authorizeLine);
    await fetch(await browse(url!));
    assert.equal(await s.exited, 1);
  } finally {
    s.kill();
  }
  assert.match(s.output, /invalid_client: AADSTS7000215/);
  assert.ok(!s.output.includes('not-the-secret'));
  assert.doesNotMatch(s.output, /\n\s+at /, 'no stack trace');
  assert.ok(!existsSync(config));
});

test('--no-browser: a malformed paste is refused with a hint, the real address is accepted', async () => {
  const { config, args } = fixture(['--no-browser']);
  const s = new CliSession(args);
  try {
    const [, url] = await s.waitFor(authorizeLine);
    assert.equal(new URL(url!).searchParams.get('redirect_uri'), 'http://localhost/');
    const back = await browse(url!); // not followed: nothing listens on localhost:80
    await s.waitFor(/Redirected address: $/m);
    s.write('this is not it\n');
    await s.waitFor(/not the redirected address \(it is not an address\)/);
    s.write('http://localhost/?session_state=abc\n');
    await s.waitFor(/it has no "code=" in it/);
    s.write(`${back}\n`);
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  assert.equal(typeof savedRemote(config).refreshToken, 'string');
});

test('--no-browser: an address answering another login (other state) is refused', async () => {
  const { config, args } = fixture(['--no-browser']);
  const s = new CliSession(args);
  try {
    const [, url] = await s.waitFor(authorizeLine);
    const back = new URL(await browse(url!));
    back.searchParams.set('state', 'someone-elses');
    await s.waitFor(/Redirected address: $/m);
    s.write(`${back}\n`);
    assert.equal(await s.exited, 1);
  } finally {
    s.kill();
  }
  assert.match(s.output, /different "state"/);
  assert.ok(!existsSync(config));
});

test('--device-code: the code is shown, polling waits while pending, and succeeds once entered', async () => {
  emu.setFaults({ deviceCodeIntervalSec: 1 } as never);
  emu.resetStats();
  const { config, args } = fixture(['--device-code']);
  const s = new CliSession(args);
  try {
    const [, verification] = await s.waitFor(/address: (\S+)/);
    const [, code] = await s.waitFor(/code:\s+(\S+)/);
    await new Promise((r) => setTimeout(r, 1600)); // at least one poll while the user has not entered it
    const page = await fetch(`${verification}?otc=${encodeURIComponent(code!)}`);
    assert.equal(page.status, 200);
    assert.equal(await s.exited, 0, s.output);
  } finally {
    emu.setFaults({ deviceCodeIntervalSec: 5 } as never);
    s.kill();
  }
  assert.ok(emu.stats().tokenError >= 1, 'a pending poll was answered authorization_pending');
  assert.equal(typeof savedRemote(config).refreshToken, 'string');
});

test('--device-code: a code nobody enters expires with a clear message', async () => {
  emu.setFaults({ deviceCodeIntervalSec: 1, deviceCodeTtlSec: 2 } as never);
  const { config, args } = fixture(['--device-code']);
  const s = new CliSession(args);
  try {
    assert.equal(await s.exited, 1);
  } finally {
    emu.setFaults({ deviceCodeIntervalSec: 5, deviceCodeTtlSec: 900 } as never);
    s.kill();
  }
  assert.match(s.output, /expired/);
  assert.ok(!existsSync(config));
});

test('--site-url: the SharePoint site is looked up by its address and its library mounted', async () => {
  const { config, args } = fixture(['--site-url', 'https://contoso.sharepoint.com/sites/team']);
  const s = new CliSession(args);
  try {
    const [, url] = await s.waitFor(authorizeLine);
    assert.match(new URL(url!).searchParams.get('scope')!, /Sites\.Read\.All/);
    await fetch(await browse(url!));
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  assert.equal(savedRemote(config).siteId, 'team');
  const ls = await runCli(['--config', config, 'ls', 'od']);
  assert.match(ls.stdout, /plan\.md/);
});

test('an unknown site and a root path that does not exist are refused before anything is saved', async () => {
  for (const extra of [['--site-url', 'https://contoso.sharepoint.com/sites/nope'], ['--root-path', '/No such folder']]) {
    const { config, args } = fixture(extra);
    const s = new CliSession(args);
    try {
      const [, url] = await s.waitFor(authorizeLine);
      await fetch(await browse(url!));
      assert.equal(await s.exited, 1, s.output);
    } finally {
      s.kill();
    }
    assert.match(s.output, /not found/);
    assert.ok(!existsSync(config));
  }
});

test('a login host that does not answer (closed port) is reported as unreachable', async () => {
  const closed = await freePort();
  const { config, args } = fixture(['--device-code']);
  const s = new CliSession(args.map((a) => (a === emu.url ? `http://127.0.0.1:${closed}` : a)));
  assert.equal(await s.exited, 1);
  assert.match(s.output, /cannot reach the service: .*ECONNREFUSED/);
  assert.doesNotMatch(s.output, /\n\s+at /, 'no stack trace');
  assert.ok(!existsSync(config));
});

test('a loopback port already in use is named, with the flag that changes it', async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as net.AddressInfo).port;
  try {
    const { args } = fixture();
    const r = await runCli(args.map((a, i) => (args[i - 1] === '--port' ? String(port) : a)));
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`port ${port} .* in use .*--port`));
  } finally {
    busy.close();
  }
});

test('on a terminal, the drive is picked from a menu (SharePoint site by URL)', async () => {
  const { config, args } = fixture();
  const s = new CliSession(args, { pty: true });
  try {
    await s.waitFor(/Which drive should this remote mount\?/);
    await s.waitFor(/choose 1-3 \[1\]: /);
    s.write('2\r');
    await s.waitFor(/Site URL/);
    s.write('https://contoso.sharepoint.com/sites/team\r');
    const [, url] = await s.waitFor(authorizeLine);
    await fetch(await browse(url!.trim()));
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  assert.equal(savedRemote(config).siteId, 'team');
});

test('logging in again keeps the app and drive settings and replaces the token', async () => {
  const { config, args } = fixture(['--root-path', '/Music']);
  let s = new CliSession(args);
  await fetch(await browse((await s.waitFor(authorizeLine))[1]!));
  assert.equal(await s.exited, 0, s.output);
  const first = savedRemote(config);
  // Again, without naming the app or the folder.
  s = new CliSession(['--config', config, 'login', 'onedrive', '--name', 'od', '--auth-url', emu.url, '--graph-url', emu.url, '--port', '0']);
  await fetch(await browse((await s.waitFor(authorizeLine))[1]!));
  assert.equal(await s.exited, 0, s.output);
  const second = savedRemote(config);
  assert.match(s.output, /Updated remote "od"/);
  assert.equal(second.rootPath, '/Music');
  assert.equal(second.clientSecret, first.clientSecret);
  assert.notEqual(second.refreshToken, first.refreshToken);
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
