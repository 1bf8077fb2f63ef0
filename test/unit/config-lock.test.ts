import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { withConfigLock } from '../../src/config/config-file.js';
import { currentHolder, formatHolder, holderAlive, parseHolder } from '../../src/config/lock-holder.js';

async function lockFile(content: string, ageDays = 0): Promise<{ dir: string; file: string; lock: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-lock-'));
  const file = path.join(dir, 'config.json');
  const lock = `${file}.lock`;
  await fs.writeFile(lock, content);
  if (ageDays) {
    const t = new Date(Date.now() - ageDays * 86_400_000);
    await fs.utimes(lock, t, t);
  }
  return { dir, file, lock };
}

function sleeper(): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** What a lock written by `pid` says, with the start time /proc gives that process now. */
async function holderText(pid: number): Promise<string> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return formatHolder({ ...currentHolder(), pid, startTime: start });
}

test('the lock file names its holder: pid, start time and boot', () => {
  const me = parseHolder(formatHolder(currentHolder()))!;
  assert.equal(me.pid, process.pid);
  assert.match(me.startTime ?? '', /^\d+$/);
  assert.ok(holderAlive(me));
  assert.deepEqual(parseHolder('1234'), { pid: 1234, startTime: undefined, bootId: undefined }, 'the old format (pid alone) still reads');
  assert.equal(parseHolder(''), undefined);
});

test('a lock of a dead pid is taken over at once, however fresh', async () => {
  const pid = await deadPid();
  for (const content of [String(pid), formatHolder({ ...currentHolder(), pid })]) {
    const { dir, file, lock } = await lockFile(content);
    // timeoutMs 0: any wait would end in "locked by another process".
    assert.equal(await withConfigLock(file, async () => 'ran', { timeoutMs: 0 }), 'ran');
    await assert.rejects(fs.stat(lock), { code: 'ENOENT' }, 'the lock is released afterwards');
    await fs.rm(dir, { recursive: true });
  }
});

test('a lock of a live pid is waited for, however old its file; it is taken once the holder exits', async () => {
  const child = await sleeper();
  try {
    for (const content of [String(child.pid), await holderText(child.pid!)]) {
      const { dir, file } = await lockFile(content, 3650);
      let ran = false;
      await assert.rejects(
        withConfigLock(file, async () => void (ran = true), { timeoutMs: 300 }),
        new RegExp(`locked by another drivemount process \\(pid ${child.pid}`),
      );
      assert.equal(ran, false, 'ran while a live process held the lock');
      await fs.rm(dir, { recursive: true });
    }
    const { dir, file } = await lockFile(await holderText(child.pid!), 3650);
    let ran = false;
    const waiting = withConfigLock(file, async () => void (ran = true), { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ran, false, 'ran while a live process held the lock');
    child.kill('SIGKILL');
    await waiting;
    assert.equal(ran, true);
    await fs.rm(dir, { recursive: true });
  } finally {
    child.kill('SIGKILL');
  }
});

test('a live pid with another start time is a reused pid: its lock is stale', async () => {
  const child = await sleeper();
  try {
    const real = parseHolder(await holderText(child.pid!))!;
    const reused = formatHolder({ ...real, startTime: String(Number(real.startTime) + 12345) });
    const { dir, file } = await lockFile(reused);
    assert.equal(await withConfigLock(file, async () => 'ran', { timeoutMs: 0 }), 'ran');
    await fs.rm(dir, { recursive: true });
  } finally {
    child.kill('SIGKILL');
  }
});

test('a lock written before a reboot (another boot id) is stale', async () => {
  const child = await sleeper();
  try {
    const { dir, file } = await lockFile(formatHolder({ ...parseHolder(await holderText(child.pid!))!, bootId: 'another-boot' }));
    assert.equal(await withConfigLock(file, async () => 'ran', { timeoutMs: 0 }), 'ran');
    await fs.rm(dir, { recursive: true });
  } finally {
    child.kill('SIGKILL');
  }
});

test('many takers of a dead holder\'s lock at once: one at a time holds it, and a holder releases only its own lock', async () => {
  const pid = await deadPid();
  const { dir, file, lock } = await lockFile(formatHolder({ ...currentHolder(), pid }));
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 12 }, () =>
      withConfigLock(file, async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      }),
    ),
  );
  assert.equal(most, 1, 'two holders at once');
  await assert.rejects(fs.stat(lock), { code: 'ENOENT' });
  // A holder whose lock was replaced meanwhile leaves the new one alone.
  await withConfigLock(file, async () => {
    await fs.rm(lock);
    await fs.writeFile(lock, 'someone else');
  });
  assert.equal(await fs.readFile(lock, 'utf8'), 'someone else');
  const stray = (await fs.readdir(dir)).filter((n) => n !== 'config.json.lock');
  assert.deepEqual(stray, [], 'no temporary or set-aside lock files left');
  await fs.rm(dir, { recursive: true });
});
