import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { MemoryDrive, type MemoryOp } from '../../src/drives/memory/memory-drive.js';
import { DriveError, type ErrnoCode } from '../../src/util/errors.js';
import { DEFAULT_VFS_OPTIONS, Vfs, type VfsOptions } from '../../src/vfs/vfs.js';

/** One pino line as the Vfs logged it. */
export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A writable Vfs on a seeded MemoryDrive, with its staging folder, log lines and call deltas. */
export interface VfsFixture {
  drive: MemoryDrive;
  vfs: Vfs;
  cacheDir: string;
  lines: LogLine[];
  /** Calls of `op` made since seeding. */
  count(op: MemoryOp): number;
  /** Every operation called since seeding, with its count (zero counts left out). */
  calls(): Partial<Record<MemoryOp, number>>;
  /** Names of the files in the staging folder now. */
  staged(): Promise<string[]>;
  /** Lines logged at level error or above. */
  errors(): LogLine[];
  close(): Promise<void>;
}

export async function vfsOn(
  seed: (d: MemoryDrive) => unknown = () => undefined,
  opts: Partial<VfsOptions> = {},
  driveOpts: ConstructorParameters<typeof MemoryDrive>[0] = {},
): Promise<VfsFixture> {
  const drive = new MemoryDrive(driveOpts);
  await seed(drive);
  const baseline = { ...drive.calls };
  const ownDir = opts.cacheDir === undefined;
  const cacheDir = opts.cacheDir ?? mkdtempSync(join(tmpdir(), 'vfs-test-'));
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const vfs = new Vfs(drive, log, { ...DEFAULT_VFS_OPTIONS, readOnly: false, cacheDir, ...opts });
  const count = (op: MemoryOp) => drive.calls[op] - baseline[op];
  return {
    drive, vfs, cacheDir, lines, count,
    calls() {
      const out: Partial<Record<MemoryOp, number>> = {};
      for (const op of Object.keys(baseline) as MemoryOp[]) if (count(op) > 0) out[op] = count(op);
      return out;
    },
    async staged() {
      return fs.readdir(cacheDir).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      });
    },
    errors: () => lines.filter((l) => l.level >= 50),
    async close() {
      await vfs.close();
      if (ownDir) await fs.rm(cacheDir, { recursive: true, force: true }); // a folder the test gave stays its own
    },
  };
}

/** An assert.rejects matcher for a DriveError of this errno. */
export const errno = (c: ErrnoCode) => (e: unknown) => {
  assert.ok(e instanceof DriveError, `expected DriveError ${c}, got ${String(e)}`);
  assert.equal(e.code, c);
  return true;
};

/** Write a whole string at `pos` through a handle. */
export async function put(vfs: Vfs, fh: number, text: string, pos = 0): Promise<void> {
  const b = Buffer.from(text);
  assert.equal(await vfs.write(fh, b, b.length, pos), b.length);
}

/** Read `len` bytes at `pos` through a handle, as a string. */
export async function get(vfs: Vfs, fh: number, len = 1 << 16, pos = 0): Promise<string> {
  const b = Buffer.alloc(len);
  const n = await vfs.read(fh, b, len, pos);
  return b.subarray(0, n).toString();
}
