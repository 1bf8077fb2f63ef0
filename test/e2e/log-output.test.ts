// What the log looks like and that it never takes the process down: text lines on a terminal,
// JSON into a pipe or with --log-format json, --log-format text forcing text; a log file on a
// full disk and a closed stderr pipe leave the mount answering; a rotated refresh token that
// cannot be saved (read-only config folder) is kept and saved once the folder is writable.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startDrive, mount, runCli, exec, isMounted, waitFor, MAIN, type DriveFixture } from '../helpers/harness.js';
import { CliSession } from '../helpers/cli-session.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function drive(emulatorArgs: string[] = []): Promise<DriveFixture> {
  const d = await startDrive({ emulatorArgs, seed: async (root) => fs.writeFile(path.join(root, 'a.txt'), 'A\n') });
  cleanups.push(() => d.close());
  return d;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const TEXT_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] DEBUG: access token refreshed \{"remote":"od","expiresInSec":\d+\}\r?$/m;

test('into a pipe the log is JSON; --log-format text gives one plain line per event; on a terminal it is text', async () => {
  const d = await drive();
  const json = await runCli(['--config', d.configFile, 'about', 'od', '--log-level', 'debug']);
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stderr.trim().split('\n');
  assert.ok(lines.length > 0);
  for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `not a JSON line: ${l}`);
  assert.ok(lines.some((l) => JSON.parse(l).msg === 'access token refreshed'));

  const text = await runCli(['--config', d.configFile, 'about', 'od', '--log-level', 'debug', '--log-format', 'text']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stderr, TEXT_LINE);
  assert.ok(!text.stderr.includes('\x1b['), 'colours off a terminal');
  assert.ok(!text.stderr.split('\n').some((l) => l.startsWith('{')), text.stderr);

  const forcedJson = await runCli(['--config', d.configFile, 'about', 'od', '--log-level', 'debug', '--log-format', 'json']);
  assert.ok(forcedJson.stderr.trim().split('\n').every((l) => l.startsWith('{"level":')), forcedJson.stderr);

  const s = new CliSession(['--config', d.configFile, 'about', 'od', '--log-level', 'debug'], { pty: true });
  try {
    assert.equal(await s.exited, 0, s.output);
  } finally {
    s.kill();
  }
  assert.match(s.output.replace(ANSI, ''), TEXT_LINE);

  const bad = await runCli(['--config', d.configFile, 'about', 'od', '--log-format', 'yaml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--log-format must be one of auto, json, text/);
});

test('secrets are redacted in text lines as in JSON', async () => {
  const d = await drive();
  const cfg = JSON.parse(await fs.readFile(d.configFile, 'utf8')).remotes.od;
  const r = await runCli(['--config', d.configFile, 'ls', 'od', '--log-level', 'trace', '--log-format', 'text']);
  assert.equal(r.code, 0, r.stderr);
  for (const secret of [cfg.refreshToken, cfg.clientSecret]) assert.ok(!r.stderr.includes(secret), 'a secret was logged');
  assert.doesNotMatch(r.stderr, /Bearer /);
});

test('a log file on a full disk (/dev/full): one line on stderr says so, the log goes on there, the mount keeps answering', async () => {
  const d = await drive();
  const m = await mount(d, ['--read-only', '--log-file', '/dev/full', '--dir-cache-time', '0']);
  cleanups.push(() => m.unmount());
  for (let i = 0; i < 5; i++) {
    assert.equal(await fs.readFile(path.join(m.mnt, 'a.txt'), 'utf8'), 'A\n');
    assert.deepEqual(await fs.readdir(m.mnt), ['a.txt']);
  }
  assert.equal(m.proc.exitCode, null, 'the mount process ended');
  await m.unmount();
  assert.equal(await m.exited, 0, m.log());
  assert.equal(m.log().match(/cannot write the log to \/dev\/full \(ENOSPC\)/g)?.length, 1, m.log());
  assert.match(m.log(), /"msg":"unmounting|"msg":"unmounted/);
});

test('a closed stderr pipe (EPIPE) neither ends the mount nor stalls a request', async () => {
  const d = await drive();
  const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const proc = spawn(process.execPath, [MAIN, 'mount', 'od', mnt, '--config', d.configFile, '--read-only', '--log-level', 'debug', '--dir-cache-time', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (isMounted(mnt)) await exec('fusermount', ['-uz', mnt]).catch(() => undefined);
    proc.kill('SIGKILL');
  });
  let out = '';
  proc.stderr!.on('data', (b) => (out += b));
  await waitFor(() => isMounted(mnt) && out.includes('"msg":"mounted"'), 'the mount');
  proc.stderr!.destroy(); // the reader goes away: every later log write gets EPIPE
  for (let i = 0; i < 5; i++) {
    assert.equal(await fs.readFile(path.join(mnt, 'a.txt'), 'utf8'), 'A\n');
    assert.deepEqual(await fs.readdir(mnt), ['a.txt']);
  }
  assert.equal(proc.exitCode, null, 'the mount process ended');
  await exec('fusermount', ['-u', mnt]);
  assert.equal(await exited, 0);
});

test('a rotated refresh token the read-only config folder cannot take is kept, used, and saved once it can be', async () => {
  const d = await drive(['--token-ttl', '2']);
  const dir = path.join(d.tmp, 'ro-config');
  await fs.mkdir(dir);
  await exec('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir]);
  cleanups.push(() => exec('umount', ['-l', dir]));
  const file = path.join(dir, 'config.json');
  await fs.copyFile(d.configFile, file);
  const original = JSON.parse(await fs.readFile(file, 'utf8')).remotes.od.refreshToken as string;
  await exec('mount', ['-o', 'remount,ro', dir]);

  const m = await mount({ ...d, configFile: file }, ['--read-only', '--dir-cache-time', '0']);
  let n = 0;
  /** A name never looked up before is a call to the service, so it needs a live access token. */
  const askTheService = async (mnt: string) => {
    await assert.rejects(fs.stat(path.join(mnt, `not-there-${++n}`)), { code: 'ENOENT' });
  };
  cleanups.push(() => m.unmount());
  assert.equal(await fs.readFile(path.join(m.mnt, 'a.txt'), 'utf8'), 'A\n');
  // Outlive the 2 s access token: the next call refreshes, with the token only memory holds
  // (the file's one is spent; using it would end the mount with "log in again").
  await new Promise((r) => setTimeout(r, 2500));
  await askTheService(m.mnt);
  await new Promise((r) => setTimeout(r, 2500));
  await askTheService(m.mnt);
  assert.equal(m.proc.exitCode, null, `the mount stopped:\n${m.log()}`);
  const complaints = m.log().split('\n').filter((l) => l.includes('could not be saved'));
  assert.equal(complaints.length, 1, m.log());
  assert.ok(complaints[0]!.includes(`the config file ${file}`), complaints[0]);
  assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).remotes.od.refreshToken, original);

  await exec('mount', ['-o', 'remount,rw', dir]);
  await new Promise((r) => setTimeout(r, 2500));
  await askTheService(m.mnt);
  await waitFor(async () => JSON.parse(await fs.readFile(file, 'utf8')).remotes.od.refreshToken !== original, 'the rotated token saved').catch((e) => { throw new Error(`${e.message}\n${m.log()}`); });
  assert.match(m.log(), /the rotated refresh token is saved now/);
  await m.unmount();
  const saved = JSON.parse(await fs.readFile(file, 'utf8')).remotes.od.refreshToken as string;
  assert.ok(!m.log().includes(saved) && !m.log().includes(original), 'a refresh token reached the log');
  // The saved token is the live one: a second mount starts with it.
  const m2 = await mount({ ...d, configFile: file }, ['--read-only']);
  cleanups.push(() => m2.unmount());
  assert.equal(await fs.readFile(path.join(m2.mnt, 'a.txt'), 'utf8'), 'A\n');
  await m2.unmount();
});
