// Write benchmark: figures side by side with their limits, in one run, on loopback.
//   node dist/scripts/bench-write.js [--size-mib 1024] [--cases direct,sync,writeback,bigwrites]
// `cp` of a file into the mount vs the same bytes uploaded directly by a plain client (the
// driver's own upload-session code, without FUSE), with and without the big_writes mount
// option, and the mount process's peak RSS.
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { ensureRandomFile } from '../src/cli/demo-content.js';
import { spawnEmulator, type EmulatorProcess } from '../src/emulators/emulator-process.js';
import { MiB, cpuSplit, directDrive, driverArg, mbps, row, withBenchMount } from './bench-lib.js';

const CHUNK = 10 * MiB;
const args = process.argv.slice(2);
const service = driverArg(args);
const sizeMiB = Number(args[args.indexOf('--size-mib') + 1] || 1024) || 1024;
const work = path.join(os.tmpdir(), 'drivemount-bench-write');
const ALL_CASES = ['direct', 'sync', 'writeback', 'bigwrites'];
const casesAt = args.indexOf('--cases');
const cases = new Set(casesAt >= 0 ? (args[casesAt + 1] ?? '').split(',') : ALL_CASES);
for (const c of cases) if (!ALL_CASES.includes(c)) throw new Error(`--cases takes some of ${ALL_CASES.join(',')}, not ${c}`);

/** The same bytes, the same chunk size, one plain client: the limit. */
type Cpu = { user: number; sys: number };
const cpuSince = (a: Cpu, b: Cpu): Cpu => ({ user: b.user - a.user, sys: b.sys - a.sys });
const showCpu = (c: Cpu) => `${(c.user + c.sys).toFixed(1)} s (user ${c.user.toFixed(1)} + sys ${c.sys.toFixed(1)})`;

async function direct(emu: EmulatorProcess, file: string, size: number): Promise<{ rate: number; emuCpu: Cpu; ownCpu: Cpu }> {
  const { drive, http } = await directDrive(service, emu, CHUNK);
  const fh = await fs.open(file, 'r');
  const emu0 = await cpuSplit(emu.child.pid!);
  const own0 = await cpuSplit(process.pid);
  const t0 = performance.now();
  await drive.writer.upload('/direct.bin', {
    size,
    async read(offset, length, into) {
      const buf = into ?? Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
  }, {});
  const ms = performance.now() - t0;
  const ownCpu = cpuSince(own0, await cpuSplit(process.pid));
  const emuCpu = cpuSince(emu0, await cpuSplit(emu.child.pid!));
  await fh.close();
  await http.close();
  return { rate: mbps(size, ms), emuCpu, ownCpu };
}

/**
 * Read the source once so it is in the page cache for every case: this VM pages out cache left
 * alone for about a minute (DAMON), and a cold source would slow whichever case reads it first.
 */
async function warm(file: string): Promise<void> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 * MiB);
    for (let at = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/**
 * `cp` under GNU time (Debian package `time`) when it is there: its own CPU (the kernel's copies
 * into the mount's page cache count here); without it, plain `cp` and no CPU figure.
 */
function timedCp(from: string, to: string): Cpu {
  if (!existsSync('/usr/bin/time')) {
    execFileSync('cp', [from, to]);
    return { user: NaN, sys: NaN };
  }
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'cp', from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { user: m ? Number(m[1]) : NaN, sys: m ? Number(m[2]) : NaN };
}

/** `cp` into a fresh mount; the rate counts until cp's close() returned, i.e. the commit. */
function throughMount(emu: EmulatorProcess, src: string, size: number, extra: string[], name: string): Promise<{ rate: number; peakRssMb: number; uploadMs: number; sendMs: number; totalMs: number; cpu: Cpu; emuCpu: Cpu; cpCpu: Cpu }> {
  return withBenchMount(service, emu, work, ['--cache-dir', path.join(work, 'cache'), ...extra], async (mnt, proc, log) => {
    const cpu0 = await cpuSplit(proc.pid!);
    const emu0 = await cpuSplit(emu.child.pid!);
    const t0 = performance.now();
    const cpCpu = timedCp(src, path.join(mnt, name));
    const totalMs = performance.now() - t0;
    const cpu = cpuSince(cpu0, await cpuSplit(proc.pid!));
    const emuCpu = cpuSince(emu0, await cpuSplit(emu.child.pid!));
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
    // The mount logs each commit's duration: the rest of cp's time was staging. (execFileSync
    // blocked this process, so let the mount's log reach us first.)
    await new Promise((r) => setTimeout(r, 300));
    const commit = new RegExp(`"bytes":${size},"ms":(\\d+),"sendMs":(\\d+),"msg":"committed"`).exec(log());
    return { rate: mbps(size, totalMs), peakRssMb: hwm ? Number(hwm[1]) / 1024 : NaN, uploadMs: commit ? Number(commit[1]) : NaN, sendMs: commit ? Number(commit[2]) : NaN, totalMs, cpu, emuCpu, cpCpu };
  });
}

/** `cp` with --write-back 0: cp's own time (close() returns once staged and journaled), then until the service has it all. */
function writeBack(emu: EmulatorProcess, src: string, size: number, root: string): Promise<{ rate: number; emptyMs: number; peakRssMb: number }> {
  return withBenchMount(service, emu, work, ['--cache-dir', path.join(work, 'cache-wb'), '--write-back', '0'], async (mnt, proc, log) => {
    const t0 = performance.now();
    execFileSync('cp', [src, path.join(mnt, 'wb.bin')]);
    const cpMs = performance.now() - t0;
    while (!new RegExp(`"bytes":${size},"ms":\\d+,"sendMs":\\d+,"msg":"committed"`).test(log())) await new Promise((r) => setTimeout(r, 20));
    const emptyMs = performance.now() - t0;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
    void root;
    return { rate: mbps(size, cpMs), emptyMs, peakRssMb: hwm ? Number(hwm[1]) / 1024 : NaN };
  });
}

async function main(): Promise<void> {
  const size = sizeMiB * MiB;
  const root = path.join(work, 'drive');
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(root, { recursive: true });
  const src = path.join(os.tmpdir(), `drivemount-bench-src-${sizeMiB}.bin`);
  await ensureRandomFile(src, size, (m) => console.error(m));
  console.log(`drivemount write benchmark (${service}) — ${sizeMiB} MiB file, ${service === 'onedrive' ? `${CHUNK / MiB} MiB fragments` : '20 MiB parts'}, ${os.cpus().length} cores, loopback emulator\n`);
  row('case', 'figure', 'limit / target');
  // BENCH_EMULATOR_NODE_ARGS: flags for the emulator's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const emu = await spawnEmulator(service, ['--root', root], (process.env.BENCH_EMULATOR_NODE_ARGS ?? '').split(' ').filter(Boolean));
  try {
    let d = NaN; // MB/s
    let m: Awaited<ReturnType<typeof throughMount>> | undefined;
    let same: boolean | undefined;
    if (cases.has('direct')) {
      await warm(src);
      const r = await direct(emu, src, size);
      d = r.rate;
      row('direct upload, plain client (same driver code)', `${d.toFixed(0)} MB/s`, 'the limit');
      row('  client CPU', showCpu(r.ownCpu), `emulator ${showCpu(r.emuCpu)}`);
    }
    if (cases.has('sync')) {
      await warm(src);
      m = await throughMount(emu, src, size, [], 'copy.bin');
      same = true;
      try { execFileSync('cmp', [src, path.join(root, 'copy.bin')]); } catch { same = false; }
      const vsDirect = Number.isNaN(d) ? '(direct not run)' : `${((m.rate / d) * 100).toFixed(0)}% of direct (target ≥ 70%) ${m.rate / d >= 0.7 ? 'MET' : 'MISSED'}`;
      row('cp into the mount (big_writes)', `${m.rate.toFixed(0)} MB/s`, vsDirect);
      row('  of which staging (writes into the cache dir)', `${((m.totalMs - m.uploadMs) / 1000).toFixed(1)} s`, `${mbps(size, m.totalMs - m.uploadMs).toFixed(0)} MB/s`);
      row('  of which commit after close()', `${(m.uploadMs / 1000).toFixed(1)} s`, `${mbps(size, m.uploadMs).toFixed(0)} MB/s (the service needs the total size before the upload starts)`);
      row('    of it the upload itself', `${(m.sendMs / 1000).toFixed(1)} s`, `${mbps(size, m.sendMs).toFixed(0)} MB/s (the rest: journal record before it)`);
      row('  mount process CPU during cp', showCpu(m.cpu), `emulator ${showCpu(m.emuCpu)}`);
      row('  cp\'s own CPU', Number.isNaN(m.cpCpu.user) ? 'not measured' : showCpu(m.cpCpu), Number.isNaN(m.cpCpu.user) ? '(needs /usr/bin/time: apt-get install time)' : '(its writes are copied into the mount\'s page cache)');
      row('  mount process peak RSS', `${m.peakRssMb.toFixed(0)} MB`, `target < 200 MB ${m.peakRssMb < 200 ? 'MET' : 'MISSED'}`);
    }
    if (cases.has('writeback')) {
      await warm(src);
      const wb = await writeBack(emu, src, size, root);
      const vsSync = m ? `${(wb.rate / m.rate).toFixed(1)}× sync mode (target ≥ 3×) ${wb.rate / m.rate >= 3 ? 'MET' : 'MISSED'}` : '(sync not run)';
      row('cp into the mount, --write-back 0', `${wb.rate.toFixed(0)} MB/s`, vsSync);
      row('  until the write-back queue is empty', `${(wb.emptyMs / 1000).toFixed(1)} s`, `${mbps(size, wb.emptyMs).toFixed(0)} MB/s from cp's start`);
      row('  mount process peak RSS', `${wb.peakRssMb.toFixed(0)} MB`, `target < 200 MB ${wb.peakRssMb < 200 ? 'MET' : 'MISSED'}`);
    }
    if (cases.has('bigwrites')) {
      const small = Math.min(size, 256 * MiB);
      const smallSrc = path.join(os.tmpdir(), `drivemount-bench-src-${small / MiB}.bin`);
      await ensureRandomFile(smallSrc, small);
      const a = await throughMount(emu, smallSrc, small, [], 'small-big-writes.bin');
      const b = await throughMount(emu, smallSrc, small, ['--no-big-writes'], 'small-no-big-writes.bin');
      row(`cp ${small / MiB} MiB with big_writes`, `${a.rate.toFixed(0)} MB/s`, '128 KiB write requests');
      row(`cp ${small / MiB} MiB without big_writes`, `${b.rate.toFixed(0)} MB/s`, `4 KiB write requests (${(a.rate / b.rate).toFixed(1)}× slower)`);
    }
    if (same !== undefined) row(`committed ${sizeMiB} MiB identical (cmp)`, same ? 'yes' : 'NO', '');
  } finally {
    await emu.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
