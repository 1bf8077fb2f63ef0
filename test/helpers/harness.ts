import { DRIVERS } from '../../src/drives/registry.js';
import { promises as fs, mkdtempSync, readFileSync } from 'node:fs';
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { remoteSettingsFor, spawnEmulator, type EmulatorProcess } from '../../src/emulators/emulator-process.js';

export const exec = promisify(execFile);

// Each test process (the runner runs two files at once) gets a cache root of its own: a writable
// mount holds its cache folder for itself, so two files mounting remote "od" at the same time
// must not share the default one.
process.env.XDG_CACHE_HOME = mkdtempSync(path.join(os.tmpdir(), 'drivemount-test-cache-'));
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const MiB = 1 << 20;

/** Run the drivemount CLI to completion; never throws on a non-zero exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

export function isMounted(mnt: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === mnt);
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface DriveFixture {
  /** Folder backing the emulated drive: seed files here, compare bytes against it. */
  root: string;
  emu: EmulatorProcess;
  configFile: string;
  tmp: string;
  admin(pathname: string, body?: unknown): Promise<unknown>;
  stats(): Promise<Record<string, number>>;
  resetStats(): Promise<void>;
  setFaults(f: Record<string, number>): Promise<void>;
  close(): Promise<void>;
}

/** A temp folder, an emulator serving it, and a config file with a remote "od" pointing at it. */
export type Service = string;

/** Every service with a driver: suites that hold for all of them run once per service (share links have their own). */
export const SERVICES: readonly Service[] = DRIVERS.filter((d) => d.emulator.sharedSuites !== false).map((d) => d.emulator.service);

export async function startDrive(
  opts: { service?: Service; emulatorArgs?: string[]; remote?: Record<string, unknown>; seed?: (root: string) => Promise<void> } = {},
): Promise<DriveFixture> {
  const service = opts.service ?? 'onedrive';
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'drivemount-test-'));
  const root = path.join(tmp, 'drive');
  await fs.mkdir(root);
  if (opts.seed) await opts.seed(root);
  const emu = await spawnEmulator(service, ['--root', root, ...(opts.emulatorArgs ?? [])]);
  const configFile = path.join(tmp, 'config', 'config.json');
  await fs.mkdir(path.dirname(configFile), { recursive: true });
  await fs.writeFile(
    configFile,
    JSON.stringify({
      remotes: {
        od: { ...remoteSettingsFor(service, emu.info), ...opts.remote },
      },
    }),
    { mode: 0o600 },
  );
  const admin = async (pathname: string, body?: unknown) => {
    const res = await fetch(emu.info.url + pathname, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
  };
  return {
    root,
    emu,
    configFile,
    tmp,
    admin,
    stats: async () => (await admin('/_emulator/stats')) as Record<string, number>,
    resetStats: async () => {
      await fetch(emu.info.url + '/_emulator/stats/reset', { method: 'POST' });
    },
    setFaults: async (f) => {
      await admin('/_emulator/faults', f);
    },
    close: async () => {
      await emu.stop();
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}

export interface MountFixture {
  mnt: string;
  proc: ChildProcess;
  /** Everything the mount process logged so far. */
  log(): string;
  /** Resolves with the exit code once the mount process ends. */
  exited: Promise<number | null>;
  unmount(): Promise<void>;
}

/** `drivemount mount od[:sub] MNT` in a child process; resolves once it is mounted and serving. */
export async function mount(drive: DriveFixture, extraArgs: string[] = [], spec = 'od', at?: string): Promise<MountFixture> {
  const mnt = at ?? (await fs.mkdtemp(path.join(drive.tmp, 'mnt-')));
  const proc = spawn(process.execPath, [MAIN, 'mount', spec, mnt, '--config', drive.configFile, '--log-level', 'debug', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let dead = false;
  exited.then(() => (dead = true));
  registerCleanup(mnt, proc);
  try {
    // The process logs "mounted" once the kernel has the mount (a stale entry in /proc/mounts
    // for the same path must not count).
    await waitFor(() => dead || (isMounted(mnt) && out.includes('"msg":"mounted"')), `mount at ${mnt}`);
  } catch (e) {
    await forceUnmount(mnt, proc);
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  if (dead) throw new Error(`mount process exited before mounting:\n${out}`);
  return {
    mnt,
    proc,
    log: () => out,
    exited,
    unmount: async () => {
      if (isMounted(mnt)) await exec('fusermount', ['-u', mnt]).catch(() => exec('fusermount', ['-uz', mnt]));
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function forceUnmount(mnt: string, proc: ChildProcess): Promise<void> {
  if (isMounted(mnt)) await exec('fusermount', ['-uz', mnt]).catch(() => undefined);
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

// Mounts must never outlive a test run, even when an assertion throws or the runner is killed.
const live = new Map<string, ChildProcess>();
function registerCleanup(mnt: string, proc: ChildProcess): void {
  live.set(mnt, proc);
  proc.on('exit', () => live.delete(mnt));
}
function cleanupAll(): void {
  for (const [mnt, proc] of live) {
    try {
      if (isMounted(mnt)) execFileSync('fusermount', ['-uz', mnt]);
    } catch {
      /* best effort */
    }
    proc.kill('SIGKILL');
  }
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => {
  cleanupAll();
  process.exit(1);
});

export async function sha256(file: string): Promise<string> {
  const { stdout } = await exec('sha256sum', [file], { maxBuffer: 1 << 20 });
  return stdout.split(' ')[0]!;
}

/** Run a shell command line; returns exit code and output (never throws). */
export async function sh(cmd: string, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('bash', ['-c', cmd], { cwd, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}
