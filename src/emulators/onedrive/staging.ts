// Staging areas for uploads and copies in progress. They live outside the
// backing folder (so partial data never shows up in listings) but preferably
// on the same filesystem, next to it, so committing is an atomic rename().
// Created lazily, removed when the emulator closes.

import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export class Staging {
  private dir: Promise<string> | null = null;

  constructor(private readonly driveRoot: string) {}

  private ensure(): Promise<string> {
    this.dir ??= (async () => {
      const prefix = `.${path.basename(this.driveRoot)}.emulator-staging-`;
      try {
        return await mkdtemp(path.join(path.dirname(this.driveRoot), prefix));
      } catch {
        return mkdtemp(path.join(os.tmpdir(), 'drivemount-emulator-staging-'));
      }
    })();
    return this.dir;
  }

  /** A fresh path inside the staging area (nothing is created there). */
  async newPath(): Promise<string> {
    return path.join(await this.ensure(), randomBytes(12).toString('hex'));
  }

  /** Removes the staging area and everything in it. */
  async dispose(): Promise<void> {
    const d = this.dir;
    this.dir = null;
    if (d) await rm(await d, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * rename() of a file or folder, falling back to copy + remove when the
 * staging area ended up on another filesystem (then it is not atomic).
 */
export async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await cp(from, to, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
    await rm(from, { recursive: true, force: true });
  }
}
