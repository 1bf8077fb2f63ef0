// `drivemount login aliyundrive-legacy`: the mobile app's refresh token, read from stdin, is
// proven with one refresh and the rotated one stored (0600); an Open token is refused clearly.
// Each case is a real drivemount process against an in-process emulator.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAliyundriveEmulator, type AliyundriveEmulator } from '../../src/emulators/aliyundrive/server.js';
import { CliSession } from '../helpers/cli-session.js';

let emu: AliyundriveEmulator;
let work: string;
let n = 0;

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'dm-login-legacy-'));
  const root = path.join(work, 'resource');
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'notes.txt'), 'notes\n');
  // Open tokens announced: the Open one is at hand for the refusal, the legacy one in legacyRefreshToken.
  emu = await startAliyundriveEmulator({ root, faults: { enforceRateLimits: false } });
});

after(async () => {
  await emu?.close();
  rmSync(work, { recursive: true, force: true });
});

async function refreshStatus(token: string): Promise<number> {
  const r = await fetch(`${emu.url}/v2/account/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: token, grant_type: 'refresh_token' }),
  });
  await r.arrayBuffer();
  return r.status;
}

function args(extra: string[] = []) {
  const config = path.join(work, `config-${++n}`, 'config.json');
  return { config, args: ['--config', config, 'login', 'aliyundrive-legacy', '--name', 'ali', '--auth-url', emu.url, '--api-url', emu.url, '--refresh-token', '-', ...extra] };
}

async function finish(s: CliSession): Promise<number | null> {
  try {
    return await s.exited;
  } finally {
    s.kill();
  }
}

test('--refresh-token - is refreshed once and the rotated token saved (0600); the pasted one is spent', async () => {
  const token = emu.legacyRefreshToken;
  emu.resetStats();
  const { config, args: a } = args(['--drive-type', 'resource']);
  const s = new CliSession(a);
  s.write(`${token}\n`);
  s.endInput();
  assert.equal(await finish(s), 0, s.output);
  assert.equal(emu.stats().legacyToken, 1);
  const remote = (JSON.parse(readFileSync(config, 'utf8')) as { remotes: Record<string, Record<string, unknown>> }).remotes.ali!;
  assert.equal(remote.type, 'aliyundrive');
  assert.equal(remote.driveType, 'resource');
  assert.equal(remote.authUrl, emu.url);
  assert.equal(typeof remote.refreshToken, 'string');
  assert.notEqual(remote.refreshToken, token);
  assert.equal(statSync(config).mode & 0o777, 0o600);
  assert.ok(!s.output.includes(token), 'the token was printed');
  assert.match(s.output, /legacy API, which the provider discourages/);
  assert.equal(await refreshStatus(token), 400, 'the pasted token still works');
  assert.equal(await refreshStatus(remote.refreshToken as string), 200, 'the stored token does not work');
});

test('an Open Platform refresh token is refused with a message that says which token is needed', async () => {
  const open = emu.refreshToken;
  const { config, args: a } = args();
  const s = new CliSession(a);
  s.write(`${open}\n`);
  s.endInput();
  const code = await finish(s);
  assert.notEqual(code, 0);
  assert.match(s.output, /mobile app's token/);
  assert.match(s.output, /drivemount login aliyundrive"/);
  assert.throws(() => readFileSync(config), 'a refused login saved a remote');
});
