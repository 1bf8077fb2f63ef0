// Read benchmark: figures side by side with their limits, in one run, on loopback.
//   node dist/scripts/bench-read.js [--driver onedrive|aliyundrive|aliyundrive-legacy|aliyundrive-share|onedrive-share] [--size-mib 1024] [--keep]
// Prints, beside their targets: the binding's ceiling (a null-backend mount, same FUSE options),
// MB/s through the mount unshaped and shaped like a cloud download (20 ms latency, 25 MB/s per
// connection), the mount process's CPU seconds per GiB, a re-read from the on-disk read cache,
// time to first byte, seek cost, and the API calls of an `ls -l` of a 5,000-entry folder.
// BENCH_MOUNT_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the mount processes.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { ensureRandomFile } from '../src/cli/demo-content.js';
import { spawnEmulator, type EmulatorProcess } from '../src/emulators/emulator-process.js';
import { MiB, cpuSeconds, directDrive, driverArg, mbps, row, withBenchMount, withNullMount } from './bench-lib.js';

const args = process.argv.slice(2);
const service = driverArg(args);
const sizeMiB = Number(args[args.indexOf('--size-mib') + 1] || 1024) || 1024;
const work = path.join(os.tmpdir(), 'drivemount-bench');
const root = path.join(work, 'drive');

async function seed(): Promise<void> {
  await ensureRandomFile(path.join(root, 'big.bin'), sizeMiB * MiB, (m) => console.error(m));
  const many = path.join(root, 'many');
  await fs.mkdir(many, { recursive: true });
  if ((await fs.readdir(many)).length < 5000) {
    for (let i = 0; i < 5000; i++) await fs.writeFile(path.join(many, `f${i}.txt`), `${i}\n`);
  }
}

/** Fetch `bytes` of the file over one connection, as a plain client would. */
async function direct(emu: EmulatorProcess, bytes: number): Promise<number> {
  const { drive, http } = await directDrive(service, emu);
  const entry = await drive.stat('/big.bin');
  const t0 = performance.now();
  let n = 0;
  for await (const chunk of drive.readRange('/big.bin', entry, 0, bytes)) n += chunk.length;
  const ms = performance.now() - t0;
  await http.close();
  if (n !== bytes) throw new Error(`direct read got ${n} bytes, wanted ${bytes}`);
  return mbps(bytes, ms);
}

const withMount = <T>(emu: EmulatorProcess, fn: (mnt: string, proc: ChildProcess) => Promise<T>) => withBenchMount(service, emu, work, ['--read-only'], fn);

function dropCaches(): void {
  try { execFileSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']); } catch { /* not root: the mount does not keep pages across opens anyway */ }
}

function ddRate(file: string, bytes: number, drop = true): number {
  if (drop) dropCaches();
  const t0 = performance.now();
  execFileSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', `count=${bytes / MiB}`, 'status=none']);
  return mbps(bytes, performance.now() - t0);
}

/** Open a file on the mount and read its first 4 KiB: returns ms, and the open handle. */
async function firstByte(file: string): Promise<{ ms: number; fh: fs.FileHandle }> {
  await fs.stat(file); // the listing is cached: this measures the open and the first ranged request
  const t0 = performance.now();
  const fh = await fs.open(file, 'r');
  await fh.read(Buffer.alloc(4096), 0, 4096, 0);
  return { ms: performance.now() - t0, fh };
}

async function stats(emu: EmulatorProcess): Promise<Record<string, number>> {
  return (await (await fetch(`${emu.info.url}/_emulator/stats`)).json()) as Record<string, number>;
}

/** dd the whole file through a mount; MB/s and the CPU seconds per GiB its process spent meanwhile. */
async function ddWithCpu(file: string, bytes: number, pid: number): Promise<{ rate: number; cpuPerGiB: number }> {
  dropCaches();
  const c0 = await cpuSeconds(pid);
  const rate = ddRate(file, bytes, false);
  return { rate, cpuPerGiB: ((await cpuSeconds(pid)) - c0) / (bytes / (1 << 30)) };
}

const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');

async function main(): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  await seed();
  const size = sizeMiB * MiB;
  console.log(`drivemount read benchmark (${service}) — ${sizeMiB} MiB file, ${os.cpus().length} cores, loopback emulator\n`);
  console.log(`${'case'.padEnd(52)} ${'figure'.padStart(14)}   limit / target`);

  // The binding's ceiling: same FUSE options, bytes from memory.
  const ceiling = await withNullMount(work, sizeMiB, async (mnt, proc) => ddWithCpu(path.join(mnt, 'big.bin'), size, proc.pid!));
  row('FUSE ceiling: null-backend mount (dd bs=1M)', `${ceiling.rate.toFixed(0)} MB/s`, `the limit (${ceiling.cpuPerGiB.toFixed(2)} CPU-s/GiB)`);

  // Unshaped: the emulator as fast as loopback lets it be.
  let emu = await spawnEmulator(service, ['--root', root]);
  let unshaped: number;
  try {
    await direct(emu, MiB); // warm the emulator's hash cache and the connection
    const d = await direct(emu, size);
    row('direct HTTP, one connection, unshaped', `${d.toFixed(0)} MB/s`, 'for comparison');
    const m = await withMount(emu, async (mnt, proc) => {
      await fs.stat(path.join(mnt, 'big.bin'));
      return ddWithCpu(path.join(mnt, 'big.bin'), size, proc.pid!);
    });
    unshaped = m.rate;
    const r = m.rate / ceiling.rate;
    row('through the mount (dd bs=1M), unshaped', `${m.rate.toFixed(0)} MB/s`, `${(r * 100).toFixed(0)}% of ceiling (target ≥ 60%) ${verdict(r >= 0.6)}`);
    row('  CPU of the mount process per GiB', `${m.cpuPerGiB.toFixed(2)} s`, `target ≤ 2.0 ${verdict(m.cpuPerGiB <= 2)}`);
    await withMount(emu, async (mnt) => {
      const { ms, fh } = await firstByte(path.join(mnt, 'big.bin'));
      await fh.close();
      row('time to first byte (open + 4 KiB read)', `${ms.toFixed(1)} ms`, 'unshaped loopback');
      await fetch(`${emu.info.url}/_emulator/stats/reset`, { method: 'POST' });
      execFileSync('ls', ['-l', path.join(mnt, 'many')], { stdio: 'ignore' });
      const s = await stats(emu);
      const pages =
        service === 'onedrive' ? `${s.children ?? 0} listing pages (5 at $top=1000)`
        : service === 'onedrive-share' ? `${(s.graphql ?? 0) + (s.renderList ?? 0)} listing pages (167 at 30 rows)`
        : service === 'aliyundrive-legacy' ? `${s.legacyList ?? 0} listing pages (25 at limit 200)`
        : service === 'aliyundrive-share' ? `${s.shareList ?? 0} listing pages (50 at limit 100)`
        : `${s.list ?? 0} listing pages (50 at limit 100)`;
      // The legacy API's and the share's calls are counted apart from the Open API's.
      const calls = (s.api ?? 0) + (s.legacyApi ?? 0) + (s.shareList ?? 0) + (s.shareLink ?? 0) + (s.shareToken ?? 0);
      row('API calls for ls -l of 5,000 entries', `${calls} calls`, pages);
    });
    // The on-disk read cache: fill it with one read, then read again with the page cache dropped.
    const cacheDir = await fs.mkdtemp(path.join(work, 'cache-'));
    try {
      await withBenchMount(service, emu, work, ['--read-only', '--cache-mode', 'full', '--cache-dir', cacheDir, '--read-cache-size', String(2 * sizeMiB)], async (mnt, proc) => {
        const file = path.join(mnt, 'big.bin');
        await fs.stat(file);
        ddRate(file, size);
        await fetch(`${emu.info.url}/_emulator/stats/reset`, { method: 'POST' });
        // Warm: the cache's data file is in the host's page cache (the mount's own pages are
        // dropped at each open: no keep_cache), as for a file re-read soon after.
        const c0 = await cpuSeconds(proc.pid!);
        const warm = ddRate(file, size, false);
        const warmCpu = ((await cpuSeconds(proc.pid!)) - c0) / (size / (1 << 30));
        const r = warm / ceiling.rate;
        row('cached re-read (--cache-mode full), warm', `${warm.toFixed(0)} MB/s`, `${(r * 100).toFixed(0)}% of ceiling (target ≥ 80%) ${verdict(r >= 0.8)}`);
        row('  CPU of the mount process per GiB', `${warmCpu.toFixed(2)} s`, 'cached, warm');
        // Cold: every page cache dropped, the data file is read from the disk.
        const c = await ddWithCpu(file, size, proc.pid!);
        row('cached re-read, cold (page cache dropped)', `${c.rate.toFixed(0)} MB/s`, `the cache disk's speed (${c.cpuPerGiB.toFixed(2)} CPU-s/GiB)`);
        // A player seeking back and forth in a cached video: far ahead, then back near the start.
        const fh = await fs.open(file, 'r');
        const probe = Buffer.alloc(65536);
        await fh.read(probe, 0, probe.length, 0);
        const t1 = performance.now();
        await fh.read(probe, 0, probe.length, size - 10 * MiB);
        await fh.read(probe, 0, probe.length, MiB);
        const seekMs = (performance.now() - t1) / 2;
        await fh.close();
        const got = (await stats(emu)).downloadBytes ?? 0;
        row('seek + 64 KiB read in the cached file (mean of 2)', `${seekMs.toFixed(2)} ms`, 'no round trip: a read of the cache file');
        row('  bytes downloaded by both re-reads and the seeks', `${got}`, `target 0 ${verdict(got === 0)}`);
      });
    } finally {
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  } finally {
    await emu.stop();
  }

  // Shaped like a cloud download: 20 ms per request, 25 MB/s per connection.
  const latencyMs = 20;
  const perConn = 25e6;
  emu = await spawnEmulator(service, ['--root', root, '--latency', String(latencyMs), '--bandwidth', String(perConn)]);
  try {
    const sample = Math.min(size, 256 * MiB);
    const d = await direct(emu, sample);
    row('direct HTTP, one connection, shaped 20 ms / 25 MB/s', `${d.toFixed(1)} MB/s`, 'single-connection rate');
    const m = await withMount(emu, async (mnt) => {
      await fs.stat(path.join(mnt, 'big.bin'));
      return ddRate(path.join(mnt, 'big.bin'), size);
    });
    const r = m / unshaped;
    row('through the mount, shaped', `${m.toFixed(1)} MB/s`, `${(r * 100).toFixed(0)}% of unshaped (target ≥ 80%) ${verdict(r >= 0.8)}`);
    // One round trip plus 1.2 MiB at one connection's rate.
    const budget = latencyMs + ((1.2 * MiB) / perConn) * 1000;
    await withMount(emu, async (mnt) => {
      const { ms, fh } = await firstByte(path.join(mnt, 'big.bin'));
      row('time to first byte, shaped', `${ms.toFixed(1)} ms`, `target ≤ ${budget.toFixed(0)} ms (1 RTT + 1.2 MiB) ${verdict(ms <= budget)}`);
      const t1 = performance.now();
      await fh.read(Buffer.alloc(65536), 0, 65536, size - 10 * MiB);
      const seek = performance.now() - t1;
      row('seek far + 64 KiB read, shaped', `${seek.toFixed(1)} ms`, `target ≤ ${budget.toFixed(0)} ms ${verdict(seek <= budget)}`);
      await fh.close();
    });
  } finally {
    await emu.stop();
  }
  if (!args.includes('--keep')) await fs.rm(path.join(root, 'big.bin'), { force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
