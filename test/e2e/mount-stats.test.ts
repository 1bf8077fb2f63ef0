// Watching a mount: `--stats N` lines, `kill -USR1` on demand, progress lines of a long upload,
// and `mount --daemon` in the background — each through a real FUSE mount logging to --log-file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startDrive, runCli, sh, exec, isMounted, waitFor, MAIN, MiB, SERVICES, type DriveFixture } from '../helpers/harness.js';
import { counted } from '../helpers/call-counters.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

// Mounts and background processes started here must not outlive the run, even if it is killed.
const leftovers = new Set<{ mnt: string; pid?: number }>();
process.on('exit', () => {
  for (const l of leftovers) {
    try {
      if (isMounted(l.mnt)) execFileSync('fusermount', ['-uz', l.mnt]);
    } catch {
      /* best effort */
    }
    if (l.pid && alive(l.pid)) {
      try {
        process.kill(l.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});

async function fixture(opts: Parameters<typeof startDrive>[0]): Promise<DriveFixture> {
  const d = await startDrive(opts);
  cleanups.push(() => d.close());
  return d;
}

/** Running and not a zombie (a detached daemon is reparented and may never be reaped here). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

interface LogLine {
  time: number;
  msg: string;
}

/** The messages of a pino log file, in order. */
function readLog(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  const out: LogLine[] = [];
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      const j = JSON.parse(l) as { time?: number; msg?: string };
      if (typeof j.msg === 'string') out.push({ time: j.time ?? 0, msg: j.msg });
    } catch {
      out.push({ time: 0, msg: l });
    }
  }
  return out;
}

interface LoggedMount {
  mnt: string;
  logFile: string;
  proc: ChildProcess;
  lines(): LogLine[];
  stats(): LogLine[];
  stop(): Promise<void>;
}

/** `drivemount mount od MNT --log-file F ARGS…` in the foreground, as a child; resolves once mounted. */
async function startMount(d: DriveFixture, args: string[]): Promise<LoggedMount> {
  const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const logFile = path.join(d.tmp, `${path.basename(mnt)}.log`);
  const proc = spawn(process.execPath, [MAIN, 'mount', 'od', mnt, '--config', d.configFile, '--log-file', logFile, '--cache-dir', path.join(d.tmp, 'cache'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const entry = { mnt, pid: proc.pid };
  leftovers.add(entry);
  const lines = () => readLog(logFile);
  const stop = async () => {
    if (isMounted(mnt)) await exec('fusermount', ['-u', mnt]).catch(() => exec('fusermount', ['-uz', mnt]));
    if (proc.exitCode === null && proc.signalCode === null) {
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    leftovers.delete(entry);
  };
  cleanups.push(stop);
  try {
    await waitFor(() => proc.exitCode !== null || (isMounted(mnt) && lines().some((l) => l.msg === 'mounted')), `mount at ${mnt}`);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  if (proc.exitCode !== null) throw new Error(`the mount exited (${proc.exitCode}) before mounting:\n${out}\n${readFileSync(logFile, 'utf8')}`);
  return { mnt, logFile, proc, lines, stats: () => lines().filter((l) => l.msg.startsWith('stats:')), stop };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readRate(msg: string): number {
  const m = /\bread ([\d.]+) MB\/s/.exec(msg);
  assert.ok(m, `no read rate in "${msg}"`);
  return Number(m[1]) * 1e6;
}
function apiCalls(msg: string): { since: number; total: number } {
  const m = /API calls (\d+)\b.*?\b(\d+) in all/.exec(msg);
  assert.ok(m, `no API counts in "${msg}"`);
  return { since: Number(m[1]), total: Number(m[2]) };
}

for (const service of SERVICES) test(`${service}: --stats 1 logs a stats: line about every second, and a read shows in its rates and API counts`, async () => {
  const size = 16 * MiB;
  const d = await fixture({ service, seed: async (root) => fs.writeFile(path.join(root, 'big.bin'), randomBytes(size)) });
  const m = await startMount(d, ['--stats', '1']);
  try {
    await waitFor(() => m.stats().length >= 2, 'two stats lines', 10_000);
    const idle = m.stats();
    assert.ok(idle.some((l) => readRate(l.msg) === 0), `nothing was read, yet: ${idle.map((l) => l.msg).join('\n')}`);
    const before = idle.length;

    const dd = await sh(`dd if=${m.mnt}/big.bin of=/dev/null bs=1M`);
    assert.equal(dd.code, 0, dd.stderr);
    assert.match(dd.stderr, new RegExp(`^${size} bytes`, 'm'));
    const afterRead = m.stats().length;
    await waitFor(() => m.stats().length >= afterRead + 2, 'two more stats lines', 10_000);

    const lines = m.stats();
    const since = lines.slice(before);
    assert.ok(since.some((l) => readRate(l.msg) > 0), `no line shows the read:\n${since.map((l) => l.msg).join('\n')}`);
    // The rates add up to what was read (rate × the time each line covers).
    let estimated = 0;
    for (let i = before; i < lines.length; i++) estimated += (readRate(lines[i]!.msg) * (lines[i]!.time - lines[i - 1]!.time)) / 1000;
    assert.ok(estimated >= 0.75 * size && estimated <= 1.5 * size, `the read rates add up to ${Math.round(estimated)} bytes, ${size} were read`);
    // Reading needed the service (a download link at least): the API counts show it.
    assert.ok(since.some((l) => apiCalls(l.msg).since > 0), `no API call counted for the read:\n${since.map((l) => l.msg).join('\n')}`);
    const lastTotal = apiCalls(lines.at(-1)!.msg).total;
    assert.ok(lastTotal > apiCalls(lines[before - 1]!.msg).total, 'the running API total did not grow');

    // The running total agrees with what the service counted (API calls, plus token calls at most).
    const emu = await d.stats();
    const n = m.stats().length;
    await waitFor(() => m.stats().length > n, 'one more stats line', 5_000);
    const total = apiCalls(m.stats().at(-1)!.msg).total;
    const api = counted(service, emu, 'api');
    const token = counted(service, emu, 'token');
    assert.ok(total >= api && total <= api + token, `the mount counts ${total} API calls in all; the service saw ${api} API + ${token} token calls`);

    // About one line a second.
    const all = m.stats();
    const gaps = all.slice(1).map((l, i) => l.time - all[i]!.time).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    assert.ok(median >= 500 && median <= 2500, `stats lines come every ${median} ms (median), asked for every 1000`);
  } finally {
    await m.stop();
  }
});

test('stats lines count the 429s the service answered and the time spent waiting them out', async () => {
  const d = await fixture({
    service: 'onedrive',
    seed: async (root) => {
      for (let i = 0; i < 8; i++) {
        await fs.mkdir(path.join(root, `d${i}`));
        await fs.writeFile(path.join(root, `d${i}`, 'f.txt'), `${i}\n`);
      }
    },
  });
  const m = await startMount(d, ['--stats', '1']);
  try {
    await d.setFaults({ throttleEvery: 3, retryAfterSec: 1 });
    const ls = await sh(`ls -lR ${m.mnt}`);
    await d.setFaults({ throttleEvery: 0 });
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal((ls.stdout.match(/ f\.txt$/gm) ?? []).length, 8);
    const emu = await d.stats();
    assert.ok(emu.throttled! >= 2, `the service throttled only ${emu.throttled} calls (test set-up)`);
    const n = m.stats().length;
    await waitFor(() => m.stats().length > n, 'a stats line after the listing', 5_000);
    let throttled = 0;
    let waited = 0;
    for (const l of m.stats()) {
      const t = /throttled (\d+) \(waited ([\d.]+) s\)/.exec(l.msg);
      assert.ok(t, `no throttling figures in "${l.msg}"`);
      throttled += Number(t[1]);
      waited += Number(t[2]);
    }
    assert.equal(throttled, emu.throttled, `the stats lines count ${throttled} throttled calls, the service answered ${emu.throttled} with 429`);
    // Each 429 said "Retry-After: 1".
    assert.ok(waited >= 0.9 * throttled, `waited ${waited} s in all for ${throttled} answers asking for 1 s each`);
  } finally {
    await d.setFaults({ throttleEvery: 0 }).catch(() => undefined);
    await m.stop();
  }
});

test('kill -USR1 logs one stats: line on demand, without --stats', async () => {
  const d = await fixture({ service: 'onedrive', seed: async (root) => fs.writeFile(path.join(root, 'a.txt'), 'A\n') });
  const m = await startMount(d, []);
  try {
    await sleep(1500);
    assert.equal(m.stats().length, 0, 'stats lines without --stats or a signal');
    const k = await sh(`kill -USR1 ${m.proc.pid}`);
    assert.equal(k.code, 0, k.stderr);
    await waitFor(() => m.stats().length >= 1, 'a stats line after SIGUSR1', 5_000);
    await sleep(1500);
    assert.equal(m.stats().length, 1, `one signal, several lines:\n${m.stats().map((l) => l.msg).join('\n')}`);
    assert.match(m.stats()[0]!.msg, /read .* MB\/s.*API calls/);
    // The mount is unharmed, and a second signal gives a second line.
    assert.equal(await fs.readFile(path.join(m.mnt, 'a.txt'), 'utf8'), 'A\n');
    process.kill(m.proc.pid!, 'SIGUSR1');
    await waitFor(() => m.stats().length >= 2, 'a second stats line', 5_000);
    assert.ok(isMounted(m.mnt));
    assert.equal(m.proc.exitCode, null, 'the mount process ended');
  } finally {
    await m.stop();
  }
});

test('a long upload logs "uploading /path: NN% (… of …)" lines with a rising percent, and arrives intact', async () => {
  const d = await fixture({ service: 'onedrive' });
  const src = path.join(d.tmp, 'src.bin');
  await fs.writeFile(src, randomBytes(8 * MiB));
  // Small fragments (320 KiB) and a slow service: close() takes well over the 5 s threshold.
  const m = await startMount(d, ['--chunk-size', '0.3125', '--stats', '2']);
  try {
    const small = await sh(`printf 'quick\\n' > ${m.mnt}/small.txt`);
    assert.equal(small.code, 0, small.stderr);
    await d.setFaults({ latencyMs: 500 });
    const started = Date.now();
    const cp = await sh(`cp ${src} ${m.mnt}/up.bin`);
    const took = Date.now() - started;
    await d.setFaults({ latencyMs: 0 });
    assert.equal(cp.code, 0, cp.stderr);

    const lines = m.lines();
    const progress = lines.filter((l) => l.msg.startsWith('uploading /up.bin:'));
    assert.ok(progress.length >= 1, `cp took ${took} ms and no progress line was logged:\n${lines.map((l) => l.msg).join('\n')}`);
    for (const l of progress) {
      const p = /^uploading \/up\.bin: (\d+)% \((.+?) of (.+?)\)/.exec(l.msg);
      assert.ok(p, `unexpected progress line: ${l.msg}`);
      assert.ok(Number(p[1]) >= 0 && Number(p[1]) <= 100, l.msg);
      assert.equal(p[3], '8.00 MiB', l.msg);
    }
    // Percent done never goes back, in the progress lines and in the stats lines' upload list.
    const percents = lines
      .map((l) => /^uploading \/up\.bin: (\d+)%/.exec(l.msg)?.[1] ?? /\/up\.bin (\d+)% of/.exec(l.msg)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number);
    assert.ok(percents.length >= 2, `percent seen ${percents.length} times`);
    for (let i = 1; i < percents.length; i++) assert.ok(percents[i]! >= percents[i - 1]!, `percent went back: ${percents.join(', ')}`);
    assert.ok(percents.at(-1)! > percents[0]!, `percent never rose: ${percents.join(', ')}`);
    // The stats lines show the bytes written and the upload in flight.
    const statsLines = lines.filter((l) => l.msg.startsWith('stats:'));
    assert.ok(statsLines.some((l) => /\bwritten ([\d.]+) MB\/s/.exec(l.msg) && Number(/\bwritten ([\d.]+) MB\/s/.exec(l.msg)![1]) > 0), 'no stats line shows the write');
    assert.ok(statsLines.some((l) => /\b1 upload \(\/up\.bin \d+% of 8\.00 MiB\)/.test(l.msg)), `no stats line shows the upload in flight:\n${statsLines.map((l) => l.msg).join('\n')}`);
    // A quick upload gets no progress line.
    assert.ok(!lines.some((l) => l.msg.startsWith('uploading /small.txt')), 'a quick upload logged a progress line');

    const cmp = await sh(`cmp ${src} ${path.join(d.root, 'up.bin')} && cmp ${src} ${m.mnt}/up.bin`);
    assert.equal(cmp.code, 0, `the uploaded file differs: ${cmp.stdout}${cmp.stderr}`);
    assert.equal(await fs.readFile(path.join(d.root, 'small.txt'), 'utf8'), 'quick\n');
  } finally {
    await d.setFaults({ latencyMs: 0 }).catch(() => undefined);
    await m.stop();
  }
});

test('mount --daemon returns at once with the mount up in the background; drivemount unmount ends it', async () => {
  const d = await fixture({ service: 'onedrive', seed: async (root) => fs.writeFile(path.join(root, 'a.txt'), 'from the daemon\n') });
  const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const logFile = path.join(d.tmp, 'daemon', 'od.log');
  const entry: { mnt: string; pid?: number } = { mnt };
  leftovers.add(entry);
  try {
    const r = await runCli(['mount', 'od', mnt, '--config', d.configFile, '--daemon', '--log-file', logFile, '--cache-dir', path.join(d.tmp, 'cache')], {}, 30_000);
    assert.equal(r.code, 0, `mount --daemon: exit ${r.code}\n${r.stdout}${r.stderr}`);
    const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1]);
    assert.ok(pid > 0, `no pid in: ${r.stdout}`);
    entry.pid = pid;
    assert.ok(r.stdout.includes(mnt), r.stdout);
    // The command has ended; the mount goes on in the background.
    assert.ok(isMounted(mnt), 'not mounted after mount --daemon returned');
    assert.ok(alive(pid), 'the background process is not running');
    assert.equal(await fs.readFile(path.join(mnt, 'a.txt'), 'utf8'), 'from the daemon\n');
    const ls = await sh(`ls ${mnt}`);
    assert.equal(ls.stdout.trim(), 'a.txt');
    assert.ok(readLog(logFile).some((l) => l.msg === 'mounted'), `the log file has no "mounted" line:\n${existsSync(logFile) ? readFileSync(logFile, 'utf8') : '(missing)'}`);

    const u = await runCli(['unmount', mnt]);
    assert.equal(u.code, 0, u.stderr);
    await waitFor(() => !alive(pid), 'the background process to exit', 15_000);
    assert.ok(!isMounted(mnt));
  } finally {
    if (isMounted(mnt)) await exec('fusermount', ['-uz', mnt]).catch(() => undefined);
    if (entry.pid && alive(entry.pid)) process.kill(entry.pid, 'SIGKILL');
    leftovers.delete(entry);
  }
});

test('mount --daemon onto a missing mountpoint exits non-zero with the reason from the log', async () => {
  const d = await fixture({ service: 'onedrive' });
  const missing = path.join(d.tmp, 'no', 'such', 'folder');
  const logFile = path.join(d.tmp, 'failing.log');
  const entry = { mnt: missing };
  leftovers.add(entry);
  try {
    const r = await runCli(['mount', 'od', missing, '--config', d.configFile, '--daemon', '--log-file', logFile], {}, 30_000);
    assert.ok(r.code !== 0 && r.code !== null, `exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.ok(r.stderr.includes(missing), `the reason does not name the mountpoint: ${r.stderr}`);
    assert.match(r.stderr, /does not exist/);
    // The reason shown is the one the background process logged.
    const logged = readFileSync(logFile, 'utf8');
    assert.match(logged, /does not exist/);
    assert.ok(r.stderr.includes(logFile), 'the message does not say where the log is');
    assert.ok(!/\n\s+at .+:\d+:\d+/.test(r.stderr), `a stack trace was printed: ${r.stderr}`);
    assert.ok(!isMounted(missing));

    // A refused login, likewise: the background process's reason is printed here.
    await d.admin('/_emulator/revoke', {});
    const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
    entry.mnt = mnt;
    const refused = await runCli(['mount', 'od', mnt, '--config', d.configFile, '--daemon', '--log-file', logFile], {}, 30_000);
    assert.equal(refused.code, 1, `exit ${refused.code}\n${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /refused the refresh token/);
    assert.match(refused.stderr, /log in again/i);
    assert.ok(!refused.stderr.includes('does not exist'), `the earlier failure was reported again:\n${refused.stderr}`);
    assert.ok(!isMounted(mnt));
  } finally {
    if (isMounted(entry.mnt)) await exec('fusermount', ['-uz', entry.mnt]).catch(() => undefined);
    leftovers.delete(entry);
  }
});

test('a bad --stats value is refused with exit code 2 before anything is mounted', async () => {
  const d = await fixture({ service: 'onedrive', seed: async (root) => fs.writeFile(path.join(root, 'a.txt'), 'A\n') });
  const mnt = await fs.mkdtemp(path.join(d.tmp, 'mnt-'));
  const entry = { mnt };
  leftovers.add(entry);
  try {
    // runCli kills the command after 15 s: a hung command shows as exit code null.
    const r = await runCli(['mount', 'od', mnt, '--config', d.configFile, '--stats', 'soon'], {}, 15_000);
    assert.equal(r.code, 2, `mount --stats soon: exit ${r.code} (null: still running after 15 s), still mounted: ${isMounted(mnt)}\n${r.stderr}`);
    assert.match(r.stderr, /--stats/);
    assert.ok(!isMounted(mnt), '--stats soon was refused, but the folder is left mounted');
  } finally {
    if (isMounted(mnt)) await exec('fusermount', ['-uz', mnt]).catch(() => undefined);
    leftovers.delete(entry);
  }
});
