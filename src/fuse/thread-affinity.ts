import { readdirSync, readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../util/log.js';

const run = promisify(execFile);

/** The thread ids of this process now. */
export function threadIds(): Set<string> {
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

/** The CPU a thread last ran on (field 39 of its stat line). */
function lastCpu(tid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = Number(f[36]);
    return Number.isInteger(cpu) ? cpu : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps the main thread and libfuse's threads (those started since `before`) on one CPU. Every
 * FUSE request is handed from a libfuse thread to the main thread and back; on different CPUs
 * each hand-off is a cross-CPU wake-up, which on this kind of (virtual) machine costs more than
 * the work. Threads libfuse starts later inherit the setting from the thread that starts them.
 */
export async function pinFuseThreads(before: Set<string>, log: Logger): Promise<void> {
  const main = String(process.pid);
  const fuse = [...threadIds()].filter((t) => !before.has(t));
  const cpu = lastCpu(main);
  if (cpu === undefined || fuse.length === 0) return;
  try {
    for (const t of [main, ...fuse]) await run('taskset', ['-p', '-c', String(cpu), t]);
    log.debug({ cpu, threads: fuse.length + 1 }, 'main and FUSE threads kept on one CPU');
  } catch (e) {
    log.debug({ err: (e as Error).message }, 'cannot set thread affinity');
  }
}
