// Read benchmark: figures side by side with their limits, in one run, on loopback.
//   node dist/scripts/bench-read.js [--size-mib 1024] [--keep]
// Prints MB/s through the mount vs the same bytes fetched directly over HTTP, unshaped and with
// the emulator shaped like a cloud download (20 ms latency, 25 MB/s per connection), plus time to
// first byte and the API calls of an `ls -l` of a 5,000-entry folder.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureRandomFile } from '../src/cli/demo-content.js';
import { spawnEmulator, type EmulatorProcess } from '../src/emulators/emulator-process.js';
import { MemoryCredentialStore } from '../src/config/credential-store.js';
import { OneDriveDrive } from '../src/drives/onedrive/onedrive-drive.js';
import { parseOneDriveConfig } from '../src/drives/onedrive/config.js';
import { HttpClient } from '../src/http/client.js';
import { silentLogger } from '../src/util/log.js';

const MiB = 1 << 20;
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const args = process.argv.slice(2);
const sizeMiB = Number(args[args.indexOf('--size-mib') + 1] || 1024) || 1024;
const work = path.join(os.tmpdir(), 'drivemount-bench');
const root = path.join(work, 'drive');

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

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
  const http = new HttpClient();
  const cfg = parseOneDriveConfig('bench', {
    type: 'onedrive', refreshToken: await mintRefreshToken(emu), clientId: emu.info.clientId,
    clientSecret: emu.info.clientSecret, authUrl: emu.info.url, graphUrl: emu.info.url,
  });
  const drive = new OneDriveDrive('bench', cfg, { http, store: new MemoryCredentialStore(cfg.refreshToken), log: silentLogger });
  const entry = await drive.stat('/big.bin');
  const link = await drive.downloadLink('/big.bin', entry);
  const t0 = performance.now();
  const res = await http.request({ url: link.url, preauthenticated: true, headers: { range: `bytes=0-${bytes - 1}` } });
  let n = 0;
  for await (const chunk of res.body) n += (chunk as Buffer).length;
  const ms = performance.now() - t0;
  await http.close();
  if (n !== bytes) throw new Error(`direct read got ${n} bytes, wanted ${bytes}`);
  return mbps(bytes, ms);
}

/** Refresh tokens are single-use: each client gets its own, as after a fresh login. */
async function mintRefreshToken(emu: EmulatorProcess): Promise<string> {
  const res = await fetch(`${emu.info.url}/_emulator/refresh-token`, { method: 'POST' });
  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

async function withMount<T>(emu: EmulatorProcess, fn: (mnt: string) => Promise<T>): Promise<T> {
  const refresh_token = await mintRefreshToken(emu);
  const cfgFile = path.join(work, 'config.json');
  await fs.writeFile(cfgFile, JSON.stringify({ remotes: { bench: {
    type: 'onedrive', refreshToken: refresh_token, clientId: emu.info.clientId, clientSecret: emu.info.clientSecret,
    authUrl: emu.info.url, graphUrl: emu.info.url,
  } } }), { mode: 0o600 });
  const mnt = await fs.mkdtemp(path.join(work, 'mnt-'));
  const proc = spawn(process.execPath, [MAIN, 'mount', 'bench', mnt, '--config', cfgFile, '--read-only'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  try {
    const t = Date.now();
    while (!err.includes('"msg":"mounted"')) {
      if (proc.exitCode !== null || Date.now() - t > 20_000) throw new Error(`mount failed: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return await fn(mnt);
  } finally {
    try { execFileSync('fusermount', ['-u', mnt]); } catch { try { execFileSync('fusermount', ['-uz', mnt]); } catch { /* gone */ } }
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    await fs.rmdir(mnt).catch(() => undefined);
  }
}

function dropCaches(): void {
  try { execFileSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']); } catch { /* not root: the mount does not keep pages across opens anyway */ }
}

function ddRate(file: string, bytes: number): number {
  dropCaches();
  const t0 = performance.now();
  execFileSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', `count=${bytes / MiB}`, 'status=none']);
  return mbps(bytes, performance.now() - t0);
}

async function stats(emu: EmulatorProcess): Promise<Record<string, number>> {
  return (await (await fetch(`${emu.info.url}/_emulator/stats`)).json()) as Record<string, number>;
}

const rows: [string, string, string][] = [];
function row(what: string, value: string, limit: string): void {
  rows.push([what, value, limit]);
  console.log(`${what.padEnd(52)} ${value.padStart(14)}   ${limit}`);
}

async function main(): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  await seed();
  const size = sizeMiB * MiB;
  console.log(`drivemount read benchmark — ${sizeMiB} MiB file, ${os.cpus().length} cores, loopback emulator\n`);
  console.log(`${'case'.padEnd(52)} ${'figure'.padStart(14)}   limit / target`);

  // Unshaped: the emulator as fast as loopback lets it be.
  let emu = await spawnEmulator('onedrive', ['--root', root]);
  try {
    await direct(emu, MiB); // warm the emulator's hash cache and the connection
    const d = await direct(emu, size);
    row('direct HTTP, one connection, unshaped', `${d.toFixed(0)} MB/s`, 'the limit');
    const m = await withMount(emu, async (mnt) => {
      await fs.stat(path.join(mnt, 'big.bin'));
      return ddRate(path.join(mnt, 'big.bin'), size);
    });
    row('through the mount (dd bs=1M), unshaped', `${m.toFixed(0)} MB/s`, `${((m / d) * 100).toFixed(0)}% of direct (target ≥ 60%) ${m / d >= 0.6 ? 'MET' : 'MISSED'}`);
    await withMount(emu, async (mnt) => {
      const file = path.join(mnt, 'big.bin');
      await fs.stat(file);
      const t0 = performance.now();
      const fh = await fs.open(file, 'r');
      await fh.read(Buffer.alloc(4096), 0, 4096, 0);
      const ttfb = performance.now() - t0;
      await fh.close();
      row('time to first byte (open + 4 KiB read)', `${ttfb.toFixed(1)} ms`, 'unshaped loopback');
      await fetch(`${emu.info.url}/_emulator/stats/reset`, { method: 'POST' });
      execFileSync('ls', ['-l', path.join(mnt, 'many')], { stdio: 'ignore' });
      const s = await stats(emu);
      row('API calls for ls -l of 5,000 entries', `${s.api ?? 0} calls`, `${s.children ?? 0} listing pages (5 at $top=1000), ${s.item ?? 0} item lookups`);
    });
  } finally {
    await emu.stop();
  }

  // Shaped like a cloud download: 20 ms per request, 25 MB/s per connection.
  emu = await spawnEmulator('onedrive', ['--root', root, '--latency', '20', '--bandwidth', '25000000']);
  try {
    const sample = Math.min(size, 256 * MiB);
    const d = await direct(emu, sample);
    row('direct HTTP, one connection, shaped 20 ms / 25 MB/s', `${d.toFixed(1)} MB/s`, 'single-connection rate');
    const m = await withMount(emu, async (mnt) => {
      await fs.stat(path.join(mnt, 'big.bin'));
      return ddRate(path.join(mnt, 'big.bin'), size);
    });
    row('through the mount, shaped', `${m.toFixed(1)} MB/s`, `${(m / d).toFixed(1)}× one connection (target ≥ 3×) ${m / d >= 3 ? 'MET' : 'MISSED'}`);
    await withMount(emu, async (mnt) => {
      const file = path.join(mnt, 'big.bin');
      await fs.stat(file);
      const t0 = performance.now();
      const fh = await fs.open(file, 'r');
      await fh.read(Buffer.alloc(4096), 0, 4096, 0);
      row('time to first byte, shaped', `${(performance.now() - t0).toFixed(1)} ms`, '≥ 20 ms latency floor');
      const t1 = performance.now();
      await fh.read(Buffer.alloc(65536), 0, 65536, size - 10 * MiB);
      row('seek far + 64 KiB read, shaped', `${(performance.now() - t1).toFixed(1)} ms`, 'one small ranged request');
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
