// Pieces both benchmarks use: a mount of the emulator in its own process, a direct client
// built from the same driver code, and the figure table.
import { DRIVERS } from '../src/drives/registry.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { remoteSettingsFor, type EmulatorProcess } from '../src/emulators/emulator-process.js';
import { memoryRefreshTokenStore } from '../src/config/credential-store.js';
import { createDrive } from '../src/drives/create-drive.js';
import type { Drive, DriveWriter } from '../src/drives/types.js';
import { HttpClient } from '../src/http/client.js';
import { silentLogger } from '../src/util/log.js';

export const MiB = 1 << 20;

export type Service = string;

/** `--driver SERVICE` from the command line: any emulated driver (default the first registered). */
export function driverArg(args: string[]): Service {
  const services = DRIVERS.map((d) => d.emulator.service);
  const i = args.indexOf('--driver');
  const v = i >= 0 ? args[i + 1] : services[0]!;
  if (v === undefined || !services.includes(v)) throw new Error(`--driver takes ${services.join(' or ')}, not ${v}`);
  return v;
}
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** Refresh tokens are single-use: each client gets its own, as after a fresh login. */
export async function mintRefreshToken(emu: EmulatorProcess): Promise<string> {
  const res = await fetch(`${emu.info.url}/_emulator/refresh-token`, { method: 'POST' });
  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

/** The driver talking straight to the emulator: no FUSE, no VFS. */
export async function directDrive(service: Service, emu: EmulatorProcess, chunkSize?: number): Promise<{ drive: Drive & { writer: DriveWriter }; http: HttpClient }> {
  const http = new HttpClient();
  const refreshToken = await mintRefreshToken(emu);
  const drive = createDrive('bench', remoteSettingsFor(service, emu.info, refreshToken), { http, store: memoryRefreshTokenStore(refreshToken), log: silentLogger }, { chunkSize });
  await drive.connect();
  return { drive: drive as Drive & { writer: DriveWriter }, http };
}

/** Mount the emulator's drive in a child process, run `fn`, and always unmount. */
export async function withBenchMount<T>(service: Service, emu: EmulatorProcess, work: string, args: string[], fn: (mnt: string, proc: ChildProcess, log: () => string) => Promise<T>): Promise<T> {
  const cfgFile = path.join(work, 'config.json');
  const bench = remoteSettingsFor(service, emu.info, await mintRefreshToken(emu));
  await fs.writeFile(cfgFile, JSON.stringify({ remotes: { bench } }), { mode: 0o600 });
  const mnt = await fs.mkdtemp(path.join(work, 'mnt-'));
  // Let the previous phase's dirty pages reach the disk first: its write-back would slow this one.
  execFileSync('sync');
  // BENCH_MOUNT_NODE_ARGS: flags for the mount's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = (process.env.BENCH_MOUNT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_MOUNT_ARGS: more mount options for an A/B of one setting (e.g. "--no-pin-fuse-threads").
  const moreArgs = (process.env.BENCH_MOUNT_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, MAIN, 'mount', 'bench', mnt, '--config', cfgFile, '--log-level', 'debug', ...args, ...moreArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  try {
    const t = Date.now();
    while (!err.includes('"msg":"mounted"')) {
      if (proc.exitCode !== null || Date.now() - t > 20_000) throw new Error(`mount failed: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return await fn(mnt, proc, () => err);
  } finally {
    try { execFileSync('fusermount', ['-u', mnt]); } catch { try { execFileSync('fusermount', ['-uz', mnt]); } catch { /* gone */ } }
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    await fs.rmdir(mnt).catch(() => undefined);
  }
}

export function row(what: string, value: string, limit: string): void {
  console.log(`${what.padEnd(52)} ${value.padStart(14)}   ${limit}`);
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds a process has used so far, all its threads, user + kernel (/proc/PID/stat utime + stime). */
export async function cpuSeconds(pid: number): Promise<number> {
  const { user, sys } = await cpuSplit(pid);
  return user + sys;
}

/** CPU seconds a process has used so far in user space and in the kernel, all its threads. */
export async function cpuSplit(pid: number): Promise<{ user: number; sys: number }> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
}

const NULL_MOUNT = fileURLToPath(new URL('./bench-null-mount.js', import.meta.url));

/** The binding's ceiling: a mount with the same FUSE options whose one file `big.bin` comes from memory. */
export async function withNullMount<T>(work: string, sizeMiB: number, fn: (mnt: string, proc: ChildProcess) => Promise<T>): Promise<T> {
  const mnt = await fs.mkdtemp(path.join(work, 'null-'));
  const proc = spawn(process.execPath, [NULL_MOUNT, mnt, String(sizeMiB)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  try {
    const t = Date.now();
    while (!err.includes('"msg":"mounted"')) {
      if (proc.exitCode !== null || Date.now() - t > 20_000) throw new Error(`null mount failed: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return await fn(mnt, proc);
  } finally {
    try { execFileSync('fusermount', ['-u', mnt]); } catch { try { execFileSync('fusermount', ['-uz', mnt]); } catch { /* gone */ } }
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    await fs.rmdir(mnt).catch(() => undefined);
  }
}
