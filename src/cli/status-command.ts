import path from 'node:path';
import type { Command } from 'commander';
import { readMounts } from '../fuse/mountinfo.js';
import { ConfigError } from '../util/errors.js';
import { formatBytes, formatRate } from './format.js';
import { askStatus } from './status-socket.js';

/** What a running mount reports (see mount-command's statusReport). */
export interface MountStatus {
  remote: string;
  mountpoint: string;
  /** Where it stages and journals written files. */
  cacheDir: string;
  pid: number;
  mode: 'sync' | 'write-back';
  uploads: { path: string; size: number; committed: number; percent: number; bytesPerSec: number; seconds: number }[];
  queued: { path: string; size: number; dueInSec?: number; attempts?: number }[];
  failed: { path: string; reason: string; errno: string; kept: string }[];
  recovery: { running: boolean; files: { outcome: string; path?: string; staged: string; size?: number; committedAs?: string; reason?: string }[] };
}

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(`${l}\n`);

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('uploads running, queued and failed, and files recovered after a crash, of a running mount (all drivemount mounts if none is named)')
    .argument('[mountpoint]')
    .option('--json', 'one JSON document on stdout, for scripts')
    .action(async (mountpoint: string | undefined, o: { json?: boolean }) => {
      process.exitCode = await statusCommand(mountpoint, o);
    });
}

export async function statusCommand(mountpoint: string | undefined, o: { json?: boolean }, out: Out = stdout): Promise<number> {
  const mounts = (await readMounts()).filter((m) => m.source.startsWith('drivemount:') || m.fstype.endsWith('drivemount'));
  const wanted = mountpoint ? [path.resolve(mountpoint)] : mounts.map((m) => m.mountpoint);
  if (mountpoint && !mounts.some((m) => m.mountpoint === wanted[0])) throw new ConfigError(`${wanted[0]} is not a drivemount mount`);
  const answers: MountStatus[] = [];
  let failed = 0;
  for (const mnt of wanted) {
    try {
      answers.push((await askStatus(mnt)) as MountStatus);
    } catch (e) {
      failed++;
      process.stderr.write(`${mnt}: no status (${(e as Error).message}); is it a mount of this user, started by this version?\n`);
    }
  }
  if (o.json) out(JSON.stringify(mountpoint ? answers[0] ?? null : answers, null, 2));
  else if (answers.length === 0 && !failed) out('no drivemount mounts');
  else for (const s of answers) describe(s, out);
  return failed > 0 ? 1 : 0;
}

function describe(s: MountStatus, out: Out): void {
  out(`${s.mountpoint}: ${s.remote} (pid ${s.pid}, ${s.mode} writes)`);
  if (s.uploads.length + s.queued.length + s.failed.length + s.recovery.files.length === 0 && !s.recovery.running) out('  nothing being uploaded');
  for (const u of s.uploads) out(`  uploading  ${u.path}: ${u.percent}% of ${formatBytes(u.size)} at ${formatRate(u.bytesPerSec)}, ${u.seconds} s so far`);
  for (const q of s.queued) out(`  queued     ${q.path} (${formatBytes(q.size)}${q.dueInSec !== undefined ? `, in ${q.dueInSec} s` : ''}${q.attempts ? `, ${q.attempts} tries so far` : ''})`);
  for (const f of s.failed) out(`  failed     ${f.path}: ${f.reason} — kept in ${f.kept}`);
  if (s.recovery.running) out('  recovery after a crash is running');
  for (const r of s.recovery.files) {
    const what = r.path ?? r.staged;
    const extra = r.outcome === 'conflict' ? ` → ${r.committedAs}` : r.outcome === 'kept-unclosed' || r.outcome === 'damaged' || r.outcome === 'unrecorded' ? ` (kept in ${r.staged})` : r.reason ? `: ${r.reason}` : '';
    out(`  recovered  ${what}: ${r.outcome}${extra}`);
  }
}
