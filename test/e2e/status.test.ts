// `drivemount status` against a running mount: an upload under way (with its percent), a failed
// one (with its reason and kept file), and files recovered after a crash.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { mount, MiB, runCli, sh, startDrive, waitFor, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { randomFile, q } from './write-helpers.js';

let drive: DriveFixture | undefined;
let m: MountFixture | undefined;
after(async () => {
  await m?.unmount();
  await drive?.close();
});

interface Status {
  remote: string;
  mountpoint: string;
  mode: string;
  uploads: { path: string; percent: number; size: number }[];
  failed: { path: string; reason: string; kept: string }[];
  recovery: { running: boolean; files: unknown[] };
}

async function status(mnt: string): Promise<Status> {
  const r = await runCli(['status', mnt, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout) as Status;
}

test('status of a running mount: an upload under way with its percent, then a failed one with its reason and kept file', async () => {
  drive = await startDrive({ service: 'onedrive' });
  const cacheDir = path.join(drive.tmp, 'cache');
  m = await mount(drive, ['--cache-dir', cacheDir, '--chunk-size', '1.25']);
  const idle = await status(m.mnt);
  assert.equal(idle.mountpoint, m.mnt);
  assert.equal(idle.remote, 'od');
  assert.equal(idle.mode, 'sync');
  assert.deepEqual([idle.uploads, idle.failed], [[], []]);

  const src = path.join(drive.tmp, 'slow.bin');
  await randomFile(src, 20 * MiB);
  await drive.setFaults({ latencyMs: 250 }); // 16 fragments: several seconds of upload
  const cp = spawn('cp', [src, path.join(m.mnt, 'slow.bin')], { stdio: 'ignore' });
  const done = new Promise((r) => cp.on('exit', r));
  let seen: Status | undefined;
  await waitFor(async () => {
    const s = await status(m!.mnt);
    if (s.uploads.some((u) => u.path === '/slow.bin' && u.percent > 0 && u.percent < 100)) seen = s;
    return seen !== undefined;
  }, 'the upload shown under way', 60_000);
  assert.equal(seen!.uploads[0]!.size, 20 * MiB);
  await done;
  await drive.setFaults({ latencyMs: 0 });
  assert.deepEqual((await status(m.mnt)).uploads, [], 'nothing under way once cp returned');

  await drive.setFaults({ quotaTotal: 1 * MiB });
  const r = await sh(`head -c ${6 * MiB} /dev/urandom > ${q(path.join(m.mnt, 'toobig.bin'))}`);
  assert.notEqual(r.code, 0, 'the write over quota failed');
  const s = await status(m.mnt);
  assert.equal(s.failed.length, 1, JSON.stringify(s));
  assert.equal(s.failed[0]!.path, '/toobig.bin');
  assert.ok(s.failed[0]!.kept.startsWith(cacheDir + '/'), s.failed[0]!.kept);
  assert.match(s.failed[0]!.reason, /quota|space/i);

  const text = await runCli(['status', m.mnt]);
  assert.match(text.stdout, /failed +\/toobig\.bin: .* kept in /);
});

test('drivemount recover refuses while a mount of the remote uses the same cache folder', async () => {
  const cacheDir = path.join(drive!.tmp, 'cache');
  const r = await runCli(['recover', 'od', '--config', drive!.configFile, '--cache-dir', cacheDir]);
  assert.notEqual(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /is mounted at .* with this cache folder/);
  const other = await runCli(['recover', 'od', '--config', drive!.configFile, '--cache-dir', path.join(drive!.tmp, 'other-cache'), '--json']);
  assert.equal(other.code, 0, other.stderr);
  assert.deepEqual((JSON.parse(other.stdout) as { files: unknown[] }).files, []);
});
