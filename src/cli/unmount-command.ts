import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findMount } from '../fuse/mountinfo.js';
import { ConfigError } from '../util/errors.js';
import { askStatus } from './status-socket.js';

const run = promisify(execFile);

/** `drivemount unmount MOUNTPOINT`: a clean unmount, or with --lazy a detach even while busy. */
export async function unmountCommand(mountpoint: string, o: { lazy?: boolean; force?: boolean }): Promise<void> {
  const mnt = path.resolve(mountpoint);
  const rec = await findMount(mnt);
  if (!rec) throw new ConfigError(`${mnt} is not mounted`);
  if (o.force) {
    // The mount's own process is told to skip the write-back queue (SIGUSR2) before it is unmounted.
    const st = (await askStatus(mnt, 2000).catch(() => undefined)) as { pid?: number } | undefined;
    if (st?.pid) process.kill(st.pid, 'SIGUSR2');
  }
  try {
    await run('fusermount', [o.lazy ? '-uz' : '-u', mnt]);
  } catch (e) {
    const msg = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
    if (/busy/i.test(msg)) {
      throw new ConfigError(`${mnt} is busy (a program has a file or folder open there). Close it, or use --lazy to detach now.`);
    }
    throw new ConfigError(`cannot unmount ${mnt}: ${msg}`);
  }
}
