import { spawn } from 'node:child_process';
import { openSync, closeSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Set in the detached child so it knows to report back instead of detaching again. */
const CHILD_ENV = 'DRIVEMOUNT_DAEMON_CHILD';

/** $XDG_STATE_HOME/drivemount/REMOTE.log (default ~/.local/state/drivemount/REMOTE.log). */
export function defaultDaemonLog(remote: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(base, 'drivemount', `${remote.replace(/[/:]/g, '_')}.log`);
}

export function isDaemonChild(): boolean {
  return process.env[CHILD_ENV] === '1' && typeof process.send === 'function';
}

/** In the child: the mount is up, the parent may exit. */
export function reportMounted(mountpoint: string): void {
  if (!isDaemonChild()) return;
  process.send!({ mounted: mountpoint }, () => process.disconnect());
}

/**
 * Start the same command again without `--daemon`, detached from the terminal (own session,
 * output to the log file), and wait until it says it is mounted — or failed, whose reason is
 * then read from the log and printed here, so the user sees it either way.
 */
export async function runDetached(o: { argv: string[]; logFile: string; timeoutMs?: number }): Promise<number> {
  mkdirSync(path.dirname(o.logFile), { recursive: true, mode: 0o700 });
  const fd = openSync(o.logFile, 'a', 0o600);
  const startSize = fileSize(o.logFile);
  const args = o.argv.filter((a) => a !== '--daemon');
  if (!args.some((a) => a === '--log-file' || a.startsWith('--log-file='))) args.push('--log-file', o.logFile);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', fd, fd, 'ipc'],
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  closeSync(fd);
  const outcome = await new Promise<{ mounted?: string; code?: number | null; timeout?: boolean }>((resolve) => {
    const timer = setTimeout(() => resolve({ timeout: true }), o.timeoutMs ?? 120_000);
    child.on('message', (m: { mounted?: string }) => {
      if (m?.mounted) {
        clearTimeout(timer);
        resolve({ mounted: m.mounted });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
  if (outcome.mounted) {
    child.unref();
    child.channel?.unref();
    process.stdout.write(`mounted at ${outcome.mounted} in the background (pid ${child.pid}, log ${o.logFile}); stop it with: drivemount unmount ${outcome.mounted}\n`);
    return 0;
  }
  const tail = readLogSince(o.logFile, startSize);
  if (outcome.timeout) {
    child.unref();
    process.stderr.write(`drivemount: the background mount (pid ${child.pid}) did not come up within ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s; see ${o.logFile}\n`);
    return 1;
  }
  process.stderr.write(`drivemount: the background mount failed (exit ${outcome.code}); from ${o.logFile}:\n${tail}`);
  return outcome.code || 1;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The lines the child wrote, as messages (pino JSON lines reduced to their msg). */
function readLogSince(file: string, offset: number): string {
  const text = readFileSync(file).subarray(offset).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-10)
    .map((l) => {
      try {
        const j = JSON.parse(l) as { msg?: string };
        return `  ${j.msg ?? l}\n`;
      } catch {
        return `  ${l}\n`;
      }
    })
    .join('');
}
