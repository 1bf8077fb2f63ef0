import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The local folder where written files are staged before upload. A file whose upload failed
 * stays here (nothing a program wrote is deleted on failure); the log names it.
 */
export class StagingArea {
  private ready?: Promise<void>;

  constructor(readonly dir: string) {}

  /** A new, unique file path for `mountPath` (its name keeps the file's name, for people looking). */
  async newFile(mountPath: string): Promise<string> {
    this.ready ??= fs.mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    await this.ready;
    const base = path.basename(mountPath).replace(/[^\w.\-]+/g, '_').slice(-80) || 'file';
    return path.join(this.dir, `${Date.now()}-${randomBytes(4).toString('hex')}-${base}`);
  }
}
