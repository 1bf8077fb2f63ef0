// One process owns a cache folder's staged files (a writable mount or `recover`); the socket
// folder of `drivemount status` must be this user's alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { holdCacheFolder } from '../../src/cli/cache-folder-lock.js';
import { assertPrivateFolder } from '../../src/cli/status-socket.js';

test('a cache folder held by a live process is refused at once with a clear message; released, or its holder dead, it is taken', async () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'dm-cache-lock-')), 'od');
  const release = await holdCacheFolder(dir);
  await assert.rejects(holdCacheFolder(dir), /cache folder .* is in use by another drivemount process \(pid \d+/);
  await release();
  const again = await holdCacheFolder(dir);
  await again();

  // Another live process's lock refuses; once that process died (kill -9), its lock is taken over.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const { currentHolder, formatHolder } = await import('../../src/config/lock-holder.js');
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  await fs.writeFile(`${dir}.lock`, formatHolder({ ...currentHolder(), pid: child.pid!, startTime }));
  await assert.rejects(holdCacheFolder(dir), new RegExp(`in use by another drivemount process \\(pid ${child.pid}`), 'a live holder keeps it');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const taken = await holdCacheFolder(dir);
  await taken();
});

test('the status socket folder is refused unless it is a folder of this user with no access for others', async () => {
  const base = mkdtempSync(path.join(tmpdir(), 'dm-status-'));
  const ok = path.join(base, 'ok');
  await fs.mkdir(ok, { mode: 0o700 });
  await assertPrivateFolder(ok);
  const open = path.join(base, 'open');
  await fs.mkdir(open);
  await fs.chmod(open, 0o777);
  await assert.rejects(assertPrivateFolder(open), /not a private folder/);
  const link = path.join(base, 'link');
  await fs.symlink(ok, link);
  await assert.rejects(assertPrivateFolder(link), /not a private folder/, 'a symlink planted in its place is refused');
});
