import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

const MiB = 1 << 20;

/**
 * Sample content for the demo drive: text files, nested folders, a folder of 5,000 entries and a
 * large file of random bytes (made once; later runs reuse it).
 */
export async function ensureDemoContent(root: string, bigFileMiB = 256, log: (msg: string) => void = () => undefined): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  await writeIfMissing(path.join(root, 'README.txt'), 'Welcome to the drivemount demo drive.\nEverything here is served by the local OneDrive emulator.\n');
  await writeIfMissing(path.join(root, 'Documents', 'notes.txt'), 'Shopping: milk, bread, coffee.\n');
  await writeIfMissing(path.join(root, 'Documents', 'Projects', '2026', 'plan.md'), '# Plan\n\n1. Mount the drive.\n2. Read it with ls, cp and cat.\n');
  await writeIfMissing(path.join(root, 'Photos', 'name with spaces & symbols #1.txt'), 'odd names are fine\n');
  const many = path.join(root, 'Many files');
  const existing = await fs.readdir(many).catch(() => [] as string[]);
  if (existing.length < 5000) {
    log('creating a folder of 5,000 small files');
    await fs.mkdir(many, { recursive: true });
    for (let i = 0; i < 5000; i += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, j) => {
          const n = String(i + j).padStart(4, '0');
          return fs.writeFile(path.join(many, `file-${n}.txt`), `file ${n}\n`);
        }),
      );
    }
  }
  await ensureRandomFile(path.join(root, 'Videos', `big-${bigFileMiB}MiB.bin`), bigFileMiB * MiB, log);
}

async function writeIfMissing(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
}

/** A file of `size` random bytes, written in 8 MiB pieces (bounded memory). */
export async function ensureRandomFile(file: string, size: number, log: (msg: string) => void = () => undefined): Promise<void> {
  const st = await fs.stat(file).catch(() => undefined);
  if (st?.size === size) return;
  log(`generating ${path.basename(file)} (${Math.round(size / MiB)} MiB of random bytes)`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.partial`;
  const fh = await fs.open(tmp, 'w');
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(8 * MiB, size - done);
      await fh.write(randomBytes(n));
      done += n;
    }
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}
