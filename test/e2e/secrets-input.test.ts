// Secrets stay off the command line: `--client-secret -` / `--refresh-token -` read stdin (a
// hidden prompt on a terminal), DRIVEMOUNT_* environment variables stand in for the options,
// `config set NAME KEY` reads a secret key's value; a secret typed inline works, with a warning.
// Each case is a real drivemount process.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAliyundriveEmulator, type AliyundriveEmulator } from '../../src/emulators/aliyundrive/server.js';
import { CliSession } from '../helpers/cli-session.js';

let emu: AliyundriveEmulator;
let work: string;
let n = 0;

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'dm-secrets-'));
  const root = path.join(work, 'resource');
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'notes.txt'), 'notes\n');
  emu = await startAliyundriveEmulator({ root, faults: { enforceRateLimits: false } });
});

after(async () => {
  await emu?.close();
  rmSync(work, { recursive: true, force: true });
});

async function freshRefreshToken(): Promise<string> {
  return ((await (await fetch(`${emu.url}/_emulator/refresh-token`, { method: 'POST' })).json()) as { refresh_token: string }).refresh_token;
}

function loginArgs(extra: string[]) {
  const config = path.join(work, `config-${++n}`, 'config.json');
  return { config, args: ['--config', config, 'login', 'aliyundrive', '--name', 'ali', '--api-url', emu.url, '--client-id', emu.clientId, ...extra] };
}

function saved(config: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(config, 'utf8')) as { remotes: Record<string, Record<string, unknown>> }).remotes.ali!;
}

async function finish(s: CliSession): Promise<number | null> {
  try {
    return await s.exited;
  } finally {
    s.kill();
  }
}

const WARNING = /warning: --(client-secret|refresh-token) on the command line is visible/g;

test('--client-secret - and --refresh-token - read one line each from stdin; nothing is warned or printed', async () => {
  const token = await freshRefreshToken();
  const { config, args } = loginArgs(['--client-secret', '-', '--refresh-token', '-']);
  const s = new CliSession(args);
  s.write(`${emu.clientSecret}\n${token}\n`);
  s.endInput();
  assert.equal(await finish(s), 0, s.output);
  const r = saved(config);
  assert.equal(r.clientSecret, emu.clientSecret);
  assert.notEqual(r.refreshToken, token, 'the pasted token was proven (and rotated)');
  assert.doesNotMatch(s.output, WARNING);
  assert.ok(!s.output.includes(emu.clientSecret) && !s.output.includes(token), s.output);
});

test('DRIVEMOUNT_CLIENT_SECRET and DRIVEMOUNT_REFRESH_TOKEN stand in for the options', async () => {
  const token = await freshRefreshToken();
  const { config, args } = loginArgs([]);
  const s = new CliSession(args, { env: { DRIVEMOUNT_CLIENT_SECRET: emu.clientSecret, DRIVEMOUNT_REFRESH_TOKEN: token } });
  s.endInput();
  assert.equal(await finish(s), 0, s.output);
  assert.equal(saved(config).clientSecret, emu.clientSecret);
  assert.doesNotMatch(s.output, WARNING);
});

test('a secret given inline still works, with one warning line per secret that names the safer ways', async () => {
  const token = await freshRefreshToken();
  const { config, args } = loginArgs(['--client-secret', emu.clientSecret, '--refresh-token', token]);
  const s = new CliSession(args);
  s.endInput();
  assert.equal(await finish(s), 0, s.output);
  assert.equal(saved(config).clientSecret, emu.clientSecret);
  const warnings = s.output.match(WARNING) ?? [];
  assert.equal(warnings.length, 2, s.output);
  assert.match(s.output, /pass "--refresh-token -" to type or pipe it, or set DRIVEMOUNT_REFRESH_TOKEN/);
});

test('on a terminal, --refresh-token - asks without echoing what is typed', async () => {
  const token = await freshRefreshToken();
  const { config, args } = loginArgs(['--client-secret', '-', '--refresh-token', '-', '--drive-type', 'default']);
  const s = new CliSession(args, { pty: true });
  await s.waitFor(/Client secret: /);
  s.write(`${emu.clientSecret}\r`);
  await s.waitFor(/Refresh token: /);
  s.write(`${token}\r`);
  assert.equal(await finish(s), 0, s.output);
  assert.equal(saved(config).clientSecret, emu.clientSecret);
  assert.ok(!s.output.includes(token), `the typed token was echoed:\n${s.output}`);
  assert.ok(!s.output.includes(emu.clientSecret), `the typed secret was echoed:\n${s.output}`);
});

test('config set NAME KEY (or KEY=-) of a secret key reads the value from stdin; inline works with a warning', async () => {
  const token = await freshRefreshToken();
  const { config, args } = loginArgs(['--client-secret', '-', '--refresh-token', '-']);
  const login = new CliSession(args);
  login.write(`${emu.clientSecret}\n${token}\n`);
  login.endInput();
  assert.equal(await finish(login), 0, login.output);
  const file = path.join(path.dirname(config), 'copy.json');
  copyFileSync(config, file);

  for (const [pair, value] of [['clientSecret', 'from-stdin-1'], ['clientSecret=-', 'from-stdin-2']] as const) {
    const s = new CliSession(['--config', file, 'config', 'set', 'ali', pair]);
    s.write(`${value}\n`);
    s.endInput();
    assert.equal(await finish(s), 0, s.output);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { remotes: { ali: { clientSecret: string } } }).remotes.ali.clientSecret, value);
    assert.ok(!s.output.includes(value), s.output);
    assert.match(s.output, /clientSecret = \(hidden, 12 characters\)/);
    assert.doesNotMatch(s.output, /warning/);
  }

  const empty = new CliSession(['--config', file, 'config', 'set', 'ali', 'clientSecret']);
  empty.endInput();
  assert.equal(await finish(empty), 2, empty.output);
  assert.match(empty.output, /no value for "clientSecret" was given on stdin/);

  const alone = new CliSession(['--config', file, 'config', 'set', 'ali', 'driveType']);
  alone.endInput();
  assert.equal(await finish(alone), 2, alone.output);
  assert.match(alone.output, /"driveType" is not key=value/);

  const inline = new CliSession(['--config', file, 'config', 'set', 'ali', 'clientSecret=typed-inline']);
  inline.endInput();
  assert.equal(await finish(inline), 0, inline.output);
  assert.match(inline.output, /warning: "clientSecret=…" on the command line is visible/);
  assert.ok(!inline.output.includes('typed-inline'), inline.output);
});
