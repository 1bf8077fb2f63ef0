// Tree-walk benchmark: figures side by side with their targets, in one run, on loopback.
//   node dist/scripts/bench-walk.js [--latency 20] [--walk-ahead N] [--only find] [--skip-big] [--big-only] [--no-rclone] [--keep]
// A OneDrive emulator shaped with 20 ms per request serves a tree of 10,000 entries in 300
// folders. `find`, `du -s` and `rsync -an` walk it through a fresh mount each, once with
// walk-ahead off (--walk-ahead 0: the walk lists one folder after another) and once as shipped;
// the emulator's API calls are counted per walk. Then `ls -l` of a 100,000-entry folder, with
// the mount's peak RSS. With `rclone` on PATH (and not --no-rclone), rclone mount does the same
// walks over the same emulator (see bench-rclone.ts for how it reaches it on loopback).
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnEmulator, type EmulatorProcess } from '../src/emulators/emulator-process.js';
import { row, withBenchMount } from './bench-lib.js';
import { rcloneMount, rcloneOnPath } from './bench-rclone.js';

const run = promisify(execFile);

const args = process.argv.slice(2);
const latency = Number(args[args.indexOf('--latency') + 1] || 20) || 20;
const work = path.join(os.tmpdir(), 'drivemount-bench-walk');
const root = path.join(work, 'drive');
const TOP = 15;
const SUB = 19; // 15 + 15 × 19 = 300 folders
const ENTRIES = 10_000;
const BIG = 100_000;
/** `--walk-ahead N` measures another concurrency than the shipped default. */
const oursArgs = args.includes('--walk-ahead') ? ['--walk-ahead', args[args.indexOf('--walk-ahead') + 1]!] : [];
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
/** `--big-only`: just the 100,000-entry folder's `ls -l` (time and peak RSS), no walks. */
const bigOnly = args.includes('--big-only');

async function seed(): Promise<void> {
  const tree = path.join(root, 'tree');
  if (!bigOnly && !(await fs.stat(path.join(tree, '.seeded')).catch(() => null))) {
    const folders: string[] = [];
    for (let t = 0; t < TOP; t++) {
      folders.push(path.join(tree, `top${t}`));
      for (let s = 0; s < SUB; s++) folders.push(path.join(tree, `top${t}`, `sub${s}`));
    }
    for (const f of folders) await fs.mkdir(f, { recursive: true });
    const files = ENTRIES - folders.length;
    for (let i = 0; i < files; i++) await fs.writeFile(path.join(folders[i % folders.length], `f${i}.txt`), `${i}\n`);
    await fs.writeFile(path.join(tree, '.seeded'), '');
  }
  if (args.includes('--skip-big')) return;
  const big = path.join(root, 'big');
  await fs.mkdir(big, { recursive: true });
  if ((await fs.readdir(big)).length < BIG) {
    console.error(`seeding ${BIG} files…`);
    for (let i = 0; i < BIG; i++) await fs.writeFile(path.join(big, `file-${String(i).padStart(6, '0')}.txt`), '');
  }
}

async function stats(emu: EmulatorProcess): Promise<Record<string, number>> {
  return (await (await fetch(`${emu.info.url}/_emulator/stats`)).json()) as Record<string, number>;
}
const resetStats = (emu: EmulatorProcess) => fetch(`${emu.info.url}/_emulator/stats/reset`, { method: 'POST' });

type Cmd = (tree: string) => [string, string[]];

/** Runs `cmd` over `tree` (asynchronously: the rclone proxy lives in this process) and counts the API calls it caused. */
async function timed(emu: EmulatorProcess, tree: string, cmd: Cmd): Promise<{ ms: number; calls: number }> {
  await fs.stat(tree);
  await resetStats(emu);
  const [bin, argv] = cmd(tree);
  const t0 = performance.now();
  await run(bin, argv, { maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 300)); // listings fetched ahead and still running count too
  return { ms, calls: (await stats(emu)).api ?? 0 };
}

/** Runs `cmd` over the tree on a fresh mount: wall time and the API calls it caused. */
async function walk(emu: EmulatorProcess, mountArgs: string[], cmd: Cmd): Promise<{ ms: number; calls: number }> {
  return withBenchMount('onedrive', emu, work, ['--read-only', '--poll-interval', '0', ...mountArgs], (mnt) => timed(emu, path.join(mnt, 'tree'), cmd));
}

/** The same on a fresh rclone mount. */
async function rcloneWalk(emu: EmulatorProcess, cmd: Cmd): Promise<{ ms: number; calls: number }> {
  const m = await rcloneMount(emu, work);
  try {
    return await timed(emu, path.join(m.mnt, 'tree'), cmd);
  } finally {
    await m.unmount();
  }
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  await seed();
  console.log(`drivemount tree-walk benchmark — ${ENTRIES} entries in ${TOP + TOP * SUB} folders, ${latency} ms per request, ${os.cpus().length} cores\n`);
  console.log(`${'case'.padEnd(52)} ${'figure'.padStart(14)}   target`);
  const folders = TOP + TOP * SUB + 1;
  const emu = await spawnEmulator('onedrive', ['--root', root, '--latency', String(latency)]);
  try {
    const rclone = !args.includes('--no-rclone') && rcloneOnPath();
    const programs: Array<[string, Cmd]> = [
      ['find', (t) => ['find', [t]]],
      ['du -s', (t) => ['du', ['-s', t]]],
      ['rsync -an', (t) => ['rsync', ['-an', t + '/', path.join(work, 'rsync-dest')]]],
    ];
    for (const [name, cmd] of programs) {
      if (bigOnly || (only && only !== name)) continue;
      const seq = await walk(emu, ['--walk-ahead', '0'], cmd);
      row(`${name}, sequential walk (--walk-ahead 0)`, `${(seq.ms / 1000).toFixed(2)} s`, `${seq.calls} API calls`);
      const ours = await walk(emu, oursArgs, cmd);
      const x = seq.ms / ours.ms;
      row(`${name}, with walk-ahead`, `${(ours.ms / 1000).toFixed(2)} s`, `${x.toFixed(1)}× faster (target ≥ 5×) ${x >= 5 ? 'MET' : 'MISSED'}`);
      const ratio = ours.calls / folders;
      row(`${name}, API calls with walk-ahead`, `${ours.calls} calls`, `${ratio.toFixed(2)}× the ${folders} folders (target ≤ 1.2×) ${ratio <= 1.2 ? 'MET' : 'MISSED'}`);
      if (rclone) {
        const rc = await rcloneWalk(emu, cmd);
        row(`${name}, rclone mount (its defaults)`, `${(rc.ms / 1000).toFixed(2)} s`, `${rc.calls} API calls; ours ${(rc.ms / ours.ms).toFixed(1)}× faster`);
      }
    }
    if (!rclone && !bigOnly) row('rclone mount, same tree', 'not run', args.includes('--no-rclone') ? '--no-rclone' : 'rclone is not on PATH');
    if (!args.includes('--skip-big')) {
      await withBenchMount('onedrive', emu, work, ['--read-only', '--poll-interval', '0'], async (mnt, proc) => {
        await fs.stat(path.join(mnt, 'big'));
        const t0 = performance.now();
        execFileSync('ls', ['-l', path.join(mnt, 'big')], { stdio: 'ignore', maxBuffer: 1 << 30 });
        const s = (performance.now() - t0) / 1000;
        row(`ls -l of ${BIG.toLocaleString('en')} entries`, `${s.toFixed(1)} s`, `no slower than before (28 s at 20 ms) ${s <= 28 ? 'MET' : 'MISSED'}`);
        const rss = peakRssMb(proc.pid!);
        row('mount peak RSS', `${rss.toFixed(0)} MB`, `≤ 150 MB ${rss <= 150 ? 'MET' : 'MISSED'}`);
      });
      if (rclone) {
        const m = await rcloneMount(emu, work);
        try {
          await fs.stat(path.join(m.mnt, 'big'));
          const t0 = performance.now();
          await run('ls', ['-l', path.join(m.mnt, 'big')], { maxBuffer: 1 << 30 });
          row(`ls -l of ${BIG.toLocaleString('en')} entries, rclone mount`, `${((performance.now() - t0) / 1000).toFixed(1)} s`, `peak RSS ${peakRssMb(m.pid).toFixed(0)} MB`);
        } finally {
          await m.unmount();
        }
      }
    }
  } finally {
    await emu.stop();
  }
  if (!args.includes('--keep')) await fs.rm(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
