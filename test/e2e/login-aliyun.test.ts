// `drivemount login aliyundrive` end to end against the Aliyundrive emulator: the QR flow with a
// scripted "phone" (it opens the page the code holds, then confirms or cancels), and the pasted
// refresh token with the online renew API. Refusals and expiry save nothing.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAliyundriveEmulator, type AliyundriveEmulator } from '../../src/emulators/aliyundrive/server.js';
import { CliSession } from '../helpers/cli-session.js';
import { runCli } from '../helpers/harness.js';

let emu: AliyundriveEmulator;
let work: string;
let n = 0;

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'dm-login-ali-'));
  const root = path.join(work, 'resource');
  const backup = path.join(work, 'backup');
  mkdirSync(path.join(root, 'Photos'), { recursive: true });
  mkdirSync(backup);
  writeFileSync(path.join(root, 'notes.txt'), 'notes\n');
  writeFileSync(path.join(backup, 'phone-backup.bin'), 'b');
  emu = await startAliyundriveEmulator({ root, backupRoot: backup, faults: { enforceRateLimits: false } });
});

after(async () => {
  await emu?.close();
  rmSync(work, { recursive: true, force: true });
});

function fixture(extra: string[]) {
  const config = path.join(work, `config-${++n}`, 'config.json');
  return { config, args: ['--config', config, 'login', 'aliyundrive', '--name', 'ali', '--api-url', emu.url, '--timeout', '30', ...extra] };
}

const ownApp = () => ['--client-id', emu.clientId, '--client-secret', emu.clientSecret, '--poll-interval', '100'];
const qrPage = /The code holds (http\S+)/;

function savedRemote(config: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(config, 'utf8')) as { remotes: Record<string, Record<string, unknown>> }).remotes.ali!;
}

/** The scripted phone: opening the page is the scan; then the user confirms or cancels. */
async function phone(pageUrl: string, action: 'confirm' | 'cancel'): Promise<void> {
  const scan = await fetch(pageUrl);
  assert.equal(scan.status, 200, await scan.text());
  const answer = await fetch(`${pageUrl}&action=${action}`, { method: 'POST' });
  assert.equal(answer.status, 200, await answer.text());
}

test('QR login: the code is drawn, the scan is noticed, the confirmation stores a working remote', async () => {
  const { config, args } = fixture(ownApp());
  const s = new CliSession(args);
  try {
    const [, page] = await s.waitFor(qrPage);
    assert.match(s.output, /[█▀▄]/, 'a QR code is drawn in the terminal');
    const scan = await fetch(page!);
    assert.equal(scan.status, 200);
    await s.waitFor(/Scanned: confirm the login on the phone/);
    assert.equal((await fetch(`${page}&action=confirm`, { method: 'POST' })).status, 200);
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  assert.equal(statSync(config).mode & 0o777, 0o600);
  const r = savedRemote(config);
  assert.equal(r.type, 'aliyundrive-open');
  assert.equal(r.clientId, emu.clientId);
  assert.ok(!s.output.includes(r.refreshToken as string) && !s.output.includes(emu.clientSecret), 'no secret is printed');
  const ls = await runCli(['--config', config, 'ls', 'ali']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /notes\.txt/);
});

test('QR login cancelled on the phone, or left to expire, ends with the reason and saves nothing', async () => {
  {
    const { config, args } = fixture(ownApp());
    const s = new CliSession(args);
    try {
      await phone((await s.waitFor(qrPage))[1]!, 'cancel');
      assert.equal(await s.exited, 1);
    } finally {
      s.kill();
    }
    assert.match(s.output, /cancelled in the app/);
    assert.ok(!existsSync(config));
  }
  emu.setFaults({ qrCodeTtlSec: 1 } as never);
  try {
    const { config, args } = fixture(ownApp());
    const s = new CliSession(args);
    try {
      assert.equal(await s.exited, 1);
    } finally {
      s.kill();
    }
    assert.match(s.output, /QR code expired/);
    assert.ok(!existsSync(config));
  } finally {
    emu.setFaults({ qrCodeTtlSec: 180 } as never);
  }
});

test('a wrong app secret is refused when the QR code is requested', async () => {
  const { config, args } = fixture(['--client-id', emu.clientId, '--client-secret', 'wrong-secret']);
  const r = await runCli(args);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /InvalidClientSecret/);
  assert.ok(!r.stderr.includes('wrong-secret'));
  assert.ok(!existsSync(config));
});

test('without an app, the QR login explains the two ways that work', async () => {
  const { args } = fixture([]);
  const r = await runCli(args);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--client-id and --client-secret/);
  assert.match(r.stderr, /--refresh-token and --renew-api-url/);
});

test('a pasted refresh token (stdin) is proven through the renew API, and the rotated one stored', async () => {
  const pasted = ((await (await fetch(`${emu.url}/_emulator/refresh-token`, { method: 'POST' })).json()) as { refresh_token: string }).refresh_token;
  const { config, args } = fixture(['--renew-api-url', emu.renewApiUrl, '--refresh-token', '-', '--drive-type', 'backup']);
  const s = new CliSession(args);
  try {
    await s.waitFor(/Refresh token: /);
    s.write(`${pasted}\n`);
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  const r = savedRemote(config);
  assert.equal(r.renewApiUrl, emu.renewApiUrl);
  assert.equal(r.driveType, 'backup');
  assert.notEqual(r.refreshToken, pasted, 'the pasted token was spent; the new one is kept');
  assert.ok(!s.output.includes(pasted));
  const ls = await runCli(['--config', config, 'ls', 'ali']);
  assert.match(ls.stdout, /phone-backup\.bin/);
});

test('a refresh token the service refuses is reported, and nothing saved', async () => {
  const { config, args } = fixture(['--renew-api-url', emu.renewApiUrl, '--refresh-token', 'not-a-token']);
  const r = await runCli(args);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refresh token was refused/);
  assert.ok(!existsSync(config));
});

test('on a terminal, the drive type is picked from a menu', async () => {
  const { config, args } = fixture(ownApp());
  const s = new CliSession(args, { pty: true });
  try {
    await phone((await s.waitFor(qrPage))[1]!, 'confirm');
    await s.waitFor(/Which drive should this remote mount\?/);
    await s.waitFor(/choose 1-3 \[1\]: /);
    s.write('3\r');
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  assert.equal(savedRemote(config).driveType, 'backup');
});

test('a root folder id naming a file is refused before anything is saved', async () => {
  const about = await fetch(`${emu.url}/_emulator/refresh-token`, { method: 'POST' });
  const token = ((await about.json()) as { refresh_token: string }).refresh_token;
  // Find the file id of notes.txt through a remote made for the purpose.
  const probe = fixture(['--renew-api-url', emu.renewApiUrl, '--refresh-token', token]);
  assert.equal((await runCli(probe.args)).code, 0);
  const id = await fileIdOf(probe.config, 'notes.txt');
  const { config, args } = fixture([...ownApp(), '--root-folder-id', id]);
  const s = new CliSession(args);
  try {
    await phone((await s.waitFor(qrPage))[1]!, 'confirm');
    assert.equal(await s.exited, 1);
  } finally {
    s.kill();
  }
  assert.match(s.output, /is a file .*not a folder/);
  assert.ok(!existsSync(config));
});

/** The id the service gives a file in the resource drive's root, via the API with the remote's token. */
async function fileIdOf(config: string, name: string): Promise<string> {
  const r = savedRemote(config);
  const renew = new URL(emu.renewApiUrl);
  renew.searchParams.set('refresh_ui', r.refreshToken as string);
  renew.searchParams.set('server_use', 'true');
  renew.searchParams.set('driver_txt', 'alicloud_qr');
  const t = (await (await fetch(renew)).json()) as { access_token: string; refresh_token: string };
  const call = async (p: string, body: object) =>
    (await fetch(`${emu.url}/adrive/v1.0/${p}`, { method: 'POST', headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
  const info = await call('user/getDriveInfo', {});
  const list = (await call('openFile/list', { drive_id: info.resource_drive_id, parent_file_id: 'root', limit: 100 })) as { items: { name: string; file_id: string }[] };
  const f = list.items.find((i) => i.name === name);
  assert.ok(f, `${name} is listed`);
  return f.file_id;
}
