import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Replace `file` with `data` so that after a crash or power cut it holds either the old or the
 * new text, never a mix: write a temporary file, fsync it, rename it over, fsync the folder.
 * Mode 0600 whatever the umask: what it holds may be secret (tokens, upload-session URLs).
 */
export async function writeDurably(file: string, data: string): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.chmod(0o600);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.rm(tmp, { force: true }); // a disk full mid-write leaves no half temporary behind
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(file));
}

/** The folder's entries (a rename, a new name) reach the disk. */
export function syncDir(dir: string): Promise<void> {
  return syncOpened(dir, (fh) => fh.sync());
}

/** A file's bytes reach the disk (any descriptor's fsync flushes the file's dirty pages). */
export function syncFile(file: string): Promise<void> {
  return syncOpened(file, (fh) => fh.datasync());
}

async function syncOpened(p: string, sync: (fh: fs.FileHandle) => Promise<void>): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await sync(fh);
  } finally {
    await fh.close();
  }
}
