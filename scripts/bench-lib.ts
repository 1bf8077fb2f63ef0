// Pieces both benchmarks use: a mount of the emulator in its own process, a direct client
// built from the same driver code, and the figure table.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorProcess } from '../src/emulators/emulator-process.js';
import { MemoryCredentialStore } from '../src/config/credential-store.js';
import { OneDriveDrive } from '../src/drives/onedrive/onedrive-drive.js';
import { parseOneDriveConfig } from '../src/drives/onedrive/config.js';
import { HttpClient } from '../src/http/client.js';
import { silentLogger } from '../src/util/log.js';

export const MiB = 1 << 20;
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** Refresh tokens are single-use: each client gets its own, as after a fresh login. */
export async function mintRefreshToken(emu: EmulatorProcess): Promise<string> {
  const res = await fetch(`${emu.info.url}/_emulator/refresh-token`, { method: 'POST' });
  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

/** The OneDrive driver talking straight to the emulator: no FUSE, no VFS. */
export async function directDrive(emu: EmulatorProcess, chunkSize?: number): Promise<{ drive: OneDriveDrive; http: HttpClient }> {
  const http = new HttpClient();
  const cfg = parseOneDriveConfig('bench', {
    type: 'onedrive', refreshToken: await mintRefreshToken(emu), clientId: emu.info.clientId,
    clientSecret: emu.info.clientSecret, authUrl: emu.info.url, graphUrl: emu.info.url,
  });
  const drive = new OneDriveDrive('bench', cfg, { http, store: new MemoryCredentialStore(cfg.refreshToken), log: silentLogger, chunkSize });
  await drive.connect();
  return { drive, http };
}

/** Mount the emulator's drive in a child process, run `fn`, and always unmount. */
export async function withBenchMount<T>(emu: EmulatorProcess, work: string, args: string[], fn: (mnt: string, proc: ChildProcess, log: () => string) => Promise<T>): Promise<T> {
  const cfgFile = path.join(work, 'config.json');
  await fs.writeFile(cfgFile, JSON.stringify({ remotes: { bench: {
    type: 'onedrive', refreshToken: await mintRefreshToken(emu), clientId: emu.info.clientId,
    clientSecret: emu.info.clientSecret, authUrl: emu.info.url, graphUrl: emu.info.url,
  } } }), { mode: 0o600 });
  const mnt = await fs.mkdtemp(path.join(work, 'mnt-'));
  // Let the previous phase's dirty pages reach the disk first: its write-back would slow this one.
  execFileSync('sync');
  const proc = spawn(process.execPath, [MAIN, 'mount', 'bench', mnt, '--config', cfgFile, '--log-level', 'debug', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
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
