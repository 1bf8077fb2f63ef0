// rsync and tar into the mount: a tree of a few hundred small files with odd (but legal) names,
// nested folders, empty files and folders, and a few files over 4 MiB. The result must be
// byte-identical, with the same modification times, so that rsync finds nothing left to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { startDrive, mount, sh, MiB, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { q, ok, filesIn, statc } from './write-helpers.js';

let drive: DriveFixture;
let m: MountFixture | undefined;
let R: string;
let SRC: string; // the rsync source tree
let TSRC: string; // the tar source tree
let TAR: string;
let cacheDir: string;

const DIRS = [
  '',
  'docs',
  'docs/deep',
  'docs/deep/er',
  'Fotos 2024',
  'ünïcødé',
  'ünïcødé/日本語',
  '.config',
  'a&b #1 100%',
  "it's (here)",
  'x+y=z [1] {2}',
  'sp  aces  inside',
];
const NAMES: ((i: number) => string)[] = [
  (i) => `file ${i}.txt`,
  (i) => `#${i} note.md`,
  (i) => `${i}% done.txt`,
  (i) => `a&b ${i}.bin`,
  (i) => `ça-${i}.txt`,
  (i) => `日本-${i}.txt`,
  (i) => `.hidden-${i}`,
  (i) => `emoji-😀-${i}.txt`,
  (i) => `quote's-${i}`,
  (i) => `plus+eq=${i}`,
  (i) => `[br]{ce}-${i}`,
  (i) => `semi;comma,${i}`,
  (i) => `tilde~${i}~`,
  (i) => `dots..${i}.tar.gz`,
  (i) => `Mixed Case ${i}.TXT`,
  (i) => `${i}`,
];
const FILES = 320;

/** A random time between 2001 and 2023, with a fraction of a second. */
function someTime(): Date {
  return new Date(Date.UTC(2001, 0, 1) + randomInt(0, 22 * 365 * 24 * 3600) * 1000 + randomInt(0, 1000));
}

async function makeTree(root: string, opts: { files: number; big: number[] }): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  for (const d of DIRS) await fs.mkdir(path.join(root, d), { recursive: true });
  await fs.mkdir(path.join(root, 'empty folder'));
  for (let i = 0; i < opts.files; i++) {
    const dir = DIRS[i % DIRS.length]!;
    const name = NAMES[Math.floor(i / DIRS.length) % NAMES.length]!(i);
    const size = i % 10 === 0 ? 0 : randomInt(1, 8000);
    await fs.writeFile(path.join(root, dir, name), randomBytes(size), { mode: 0o644 });
  }
  for (const [k, size] of opts.big.entries()) await fs.writeFile(path.join(root, 'docs/deep', `big ${k}.bin`), randomBytes(size));
  // Modes the mount shows (0644/0755), so only times and bytes are compared; old times everywhere.
  await ok(`find ${q(root)} -type f -exec chmod 644 {} + && find ${q(root)} -type d -exec chmod 755 {} +`);
  const all = (await ok(`cd ${q(root)} && find . -depth -print0`)).split('\0').filter(Boolean);
  for (const p of all) {
    const t = someTime();
    await fs.utimes(path.join(root, p), t, t);
  }
}

/** NAME → "MTIME TYPE [SIZE]" for everything below `dir` (sizes of folders differ by nature). */
async function timesAndSizes(dir: string): Promise<Map<string, string>> {
  const out = await ok(`cd ${q(dir)} && find . -mindepth 1 -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n|%Y %F %s'`);
  const map = new Map<string, string>();
  for (const l of out.split('\n').filter(Boolean)) {
    const i = l.lastIndexOf('|');
    map.set(l.slice(0, i), l.slice(i + 1).replace(/^(\d+) directory \d+$/, '$1 directory'));
  }
  return map;
}

/** Entries whose time, type or size differ (or that exist on one side only), one line each. */
async function timeDifferences(src: string, dst: string, label: string): Promise<string[]> {
  const [a, b] = [await timesAndSizes(src), await timesAndSizes(dst)];
  const out: string[] = [];
  for (const [n, v] of a) if (b.get(n) !== v) out.push(`${label}: ${n}: source "${v}", here "${b.get(n) ?? 'missing'}"`);
  for (const n of b.keys()) if (!a.has(n)) out.push(`${label}: ${n}: not in the source`);
  return out;
}

/** Runs a shell command and describes it as a problem unless it exits 0 with no output. */
async function quiet(cmd: string, label: string): Promise<string[]> {
  const r = await sh(`${cmd} 2>&1`);
  return r.code === 0 && r.stdout === '' ? [] : [`${label}: exit ${r.code}:\n${r.stdout.slice(0, 3000)}`];
}

before(async () => {
  drive = await startDrive();
  R = drive.root;
  SRC = path.join(drive.tmp, 'src');
  TSRC = path.join(drive.tmp, 'tsrc');
  TAR = path.join(drive.tmp, 'tree.tar');
  cacheDir = path.join(drive.tmp, 'cache');
  await makeTree(SRC, { files: FILES, big: [5 * MiB + 7, 9 * MiB] });
  await makeTree(TSRC, { files: 60, big: [6 * MiB + 1] });
  await ok(`tar -cf ${q(TAR)} -C ${q(TSRC)} .`);
  m = await mount(drive, ['--cache-dir', cacheDir]);
});

after(async () => {
  await m?.unmount();
  await drive?.close();
});

test('stat of a folder shows the time the service holds, also after a file was added to it', async () => {
  const M = m!.mnt;
  await ok(`mkdir ${q(M)}/ft && echo a > ${q(M)}/ft/a.txt && touch -d '2001-01-01 00:00:00' ${q(M)}/ft`);
  assert.equal(await statc('%Y', path.join(M, 'ft')), await statc('%Y', path.join(R, 'ft')), 'right after touch -d');
  await ok(`echo b > ${q(M)}/ft/b.txt`);
  assert.equal(await statc('%Y', path.join(M, 'ft')), await statc('%Y', path.join(R, 'ft')), 'after a file was added into the folder');
});

test(`rsync -a of ${FILES} files with odd names: identical bytes and times, nothing left to do`, async () => {
  const M = m!.mnt;
  const count = Number((await ok(`find ${q(SRC)} -type f | wc -l`)).trim());
  assert.equal(count, FILES + 2);
  await ok(`rsync -a ${q(SRC)}/ ${q(M)}/tree/`);
  assert.equal((await timesAndSizes(SRC)).size, count + DIRS.length); // every file and folder below the top
  const problems = [
    ...(await quiet(`rsync -a --delete --checksum --dry-run --itemize-changes ${q(SRC)}/ ${q(M)}/tree/`, 'rsync --itemize-changes through the mount')),
    ...(await quiet(`diff -r ${q(SRC)} ${q(M)}/tree`, 'diff -r through the mount')),
    ...(await quiet(`diff -r ${q(SRC)} ${q(R)}/tree`, 'diff -r on the service')),
    ...(await timeDifferences(SRC, path.join(M, 'tree'), 'through the mount')),
    ...(await timeDifferences(SRC, path.join(R, 'tree'), 'on the service')),
  ];
  assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n').slice(0, 6000)}`);
  // rsync's temporary files are gone.
  assert.equal((await ok(`cd ${q(R)}/tree && find . -name '.*.??????' | head`)).trim(), '');
});

test('tar -x into the mount: diff -r and tar --compare find no difference', async () => {
  const M = m!.mnt;
  await ok(`mkdir ${q(M)}/untar`);
  assert.equal(await ok(`tar -xf ${q(TAR)} -C ${q(M)}/untar 2>&1`), '', 'tar -x complained');
  const problems = [
    ...(await quiet(`diff -r ${q(TSRC)} ${q(M)}/untar`, 'diff -r through the mount')),
    ...(await quiet(`diff -r ${q(TSRC)} ${q(R)}/untar`, 'diff -r on the service')),
    // --compare checks every file's size, mode, owner, modification time and bytes.
    ...(await quiet(`tar --compare -f ${q(TAR)} -C ${q(M)}/untar`, 'tar --compare through the mount')),
    ...(await timeDifferences(TSRC, path.join(M, 'untar'), 'through the mount')),
    ...(await timeDifferences(TSRC, path.join(R, 'untar'), 'on the service')),
  ];
  assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n').slice(0, 6000)}`);
});

test('after unmounting, a fresh mount shows the same trees: rsync and tar still find nothing to do', async () => {
  await m!.unmount();
  m = undefined;
  assert.deepEqual(await filesIn(cacheDir), [], 'files were left in the cache folder');
  m = await mount(drive, ['--cache-dir', cacheDir]);
  const M = m.mnt;
  const problems = [
    ...(await quiet(`rsync -a --delete --checksum --dry-run --itemize-changes ${q(SRC)}/ ${q(M)}/tree/`, 'rsync --itemize-changes')),
    ...(await timeDifferences(SRC, path.join(M, 'tree'), 'rsync tree')),
    ...(await quiet(`tar --compare -f ${q(TAR)} -C ${q(M)}/untar`, 'tar --compare')),
    ...(await timeDifferences(TSRC, path.join(M, 'untar'), 'tar tree')),
  ];
  assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n').slice(0, 6000)}`);
});

test('a second rsync -a --delete after changes in the source brings the mount up to date', async () => {
  const M = m!.mnt;
  const files = (await ok(`cd ${q(SRC)} && find . -type f -size +0 -print0 | LC_ALL=C sort -z`)).split('\0').filter(Boolean);
  // Change 6 files (new bytes, new size, new time), delete 4 and a folder, add 3 and a folder.
  for (const f of files.slice(0, 6)) {
    await fs.writeFile(path.join(SRC, f), randomBytes(randomInt(1, 9000)));
    const t = someTime();
    await fs.utimes(path.join(SRC, f), t, t);
  }
  for (const f of files.slice(10, 14)) await fs.rm(path.join(SRC, f));
  await fs.rm(path.join(SRC, 'x+y=z [1] {2}'), { recursive: true });
  await fs.mkdir(path.join(SRC, 'new folder ✓'));
  for (const n of ['new folder ✓/n1.txt', 'docs/n2 #.txt', 'n3 & more.bin']) await fs.writeFile(path.join(SRC, n), randomBytes(3000));
  // Same size, same time, other bytes: only --checksum can see this one.
  const sneaky = path.join(SRC, files[20]!);
  const st = await fs.stat(sneaky);
  await fs.writeFile(sneaky, randomBytes(st.size));
  await fs.utimes(sneaky, st.atime, st.mtime);
  for (const d of ['', 'docs', 'new folder ✓'].map((d) => path.join(SRC, d))) {
    const t = someTime();
    await fs.utimes(d, t, t);
  }
  await ok(`rsync -a --delete --checksum ${q(SRC)}/ ${q(M)}/tree/`);
  // At once, through the same mount (no stale listing), then on the service.
  const problems = [
    ...(await quiet(`rsync -a --delete --checksum --dry-run --itemize-changes ${q(SRC)}/ ${q(M)}/tree/`, 'rsync --itemize-changes through the mount')),
    ...(await quiet(`diff -r ${q(SRC)} ${q(M)}/tree`, 'diff -r through the mount')),
    ...(await quiet(`diff -r ${q(SRC)} ${q(R)}/tree`, 'diff -r on the service')),
    ...(await timeDifferences(SRC, path.join(M, 'tree'), 'through the mount')),
    ...(await timeDifferences(SRC, path.join(R, 'tree'), 'on the service')),
  ];
  assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.join('\n').slice(0, 6000)}`);
});
