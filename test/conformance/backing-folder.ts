// Seeding and reading back a drive through the folder its emulator serves: the folder is the
// emulator's single source of truth, so what a driver wrote can be checked without the driver.

import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface BackingFolder {
  seedFile(drivePath: string, bytes: Buffer | string): Promise<void>;
  seedDir(drivePath: string): Promise<void>;
  /** The bytes of the file at `drivePath`, or undefined when there is none. */
  readBack(drivePath: string): Promise<Buffer | undefined>;
}

export function backingFolder(root: string): BackingFolder {
  const abs = (p: string) => path.join(root, ...p.split('/').filter(Boolean));
  return {
    async seedFile(p, bytes) {
      await fs.mkdir(path.dirname(abs(p)), { recursive: true });
      await fs.writeFile(abs(p), bytes);
    },
    async seedDir(p) {
      await fs.mkdir(abs(p), { recursive: true });
    },
    async readBack(p) {
      try {
        return await fs.readFile(abs(p));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw e;
      }
    },
  };
}
