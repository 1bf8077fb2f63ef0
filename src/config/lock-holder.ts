import { readFileSync } from 'node:fs';

/**
 * Who holds a lock file: the pid, plus what tells that pid's process apart from a later one
 * given the same number — its start time (clock ticks since boot, from /proc/PID/stat) and the
 * boot it started in. A lock is stale exactly when its holder is gone; its age says nothing
 * (a holder may rightly keep it for minutes, waiting out a service's Retry-After).
 */
export interface LockHolder {
  pid: number;
  startTime?: string;
  bootId?: string;
}

export function currentHolder(): LockHolder {
  return { pid: process.pid, startTime: processStartTime(process.pid), bootId: bootId() };
}

/** The lock file's content: `PID START BOOT` on one line (older versions wrote the pid alone). */
export function formatHolder(h: LockHolder): string {
  return [h.pid, h.startTime ?? '-', h.bootId ?? '-'].join(' ') + '\n';
}

export function parseHolder(text: string): LockHolder | undefined {
  const [pidText, start, boot] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: start && start !== '-' ? start : undefined, bootId: boot && boot !== '-' ? boot : undefined };
}

/** Whether the process that wrote `h` is still running (same boot, same start time). */
export function holderAlive(h: LockHolder): boolean {
  if (h.bootId && bootId() && h.bootId !== bootId()) return false; // written before a reboot
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: the pid lives but belongs to another user — alive all the same.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = processStartTime(h.pid);
  if (h.startTime && now && now !== h.startTime) return false; // the pid was reused
  return true;
}

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined | null = null;
function bootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = undefined;
    }
  }
  return cachedBootId;
}
