// Executes the "Checked behaviour" table of docs/semantics.md against a real mount, so the
// document cannot drift from what the code does.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { startDrive, mount, sh, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const DOC = fileURLToPath(new URL('../../../docs/semantics.md', import.meta.url));
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EROFS: 'Read-only file system',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  EINVAL: 'Invalid argument',
};

interface Row {
  operation: string;
  command: string;
  result: string;
}

/** The rows of the table under `### {heading}` in the "Checked behaviour" section. */
function checkedRows(md: string, heading: string): Row[] {
  const section = md.split('## Checked behaviour')[1];
  assert.ok(section, 'docs/semantics.md has no "Checked behaviour" section');
  const part = section.split('\n### ').find((p) => p.startsWith(heading));
  assert.ok(part, `no "### ${heading}" table`);
  const rows: Row[] = [];
  for (const line of part.split('\n')) {
    const m = /^\|\s*([^|]+?)\s*\|\s*`([^`]+)`\s*\|\s*(\S+)\s*\|$/.exec(line);
    if (m) rows.push({ operation: m[1]!, command: m[2]!, result: m[3]! });
  }
  return rows;
}

async function runRows(rows: Row[], mnt: string): Promise<string[]> {
  const failures: string[] = [];
  for (const row of rows) {
    const cmd = row.command
      .replaceAll('{mnt}', mnt)
      .replaceAll('{file}', path.join(mnt, 'file.txt'))
      .replaceAll('{dir}', path.join(mnt, 'folder'));
    const r = await sh(cmd);
    if (row.result === 'ok') {
      if (r.code !== 0) failures.push(`${row.operation}: expected success, got exit ${r.code}: ${r.stderr.trim()}`);
    } else {
      const msg = STRERROR[row.result];
      assert.ok(msg, `unknown result "${row.result}" in the doc`);
      if (r.code === 0 || !r.stderr.includes(msg)) failures.push(`${row.operation}: expected ${row.result}, got exit ${r.code}: ${r.stderr.trim()}`);
    }
  }
  return failures;
}

async function seed(root: string): Promise<void> {
  await fs.writeFile(path.join(root, 'file.txt'), 'hello\n');
  await fs.mkdir(path.join(root, 'folder'));
  await fs.writeFile(path.join(root, 'folder', 'inside.txt'), 'in\n');
}

const fixtures: { d?: DriveFixture; m?: MountFixture }[] = [];
after(async () => {
  for (const f of fixtures) {
    await f.m?.unmount();
    await f.d?.close();
  }
});

async function mounted(args: string[]) {
  const f: { d?: DriveFixture; m?: MountFixture } = {};
  fixtures.push(f);
  f.d = await startDrive({ seed });
  f.m = await mount(f.d, args);
  return { d: f.d, m: f.m };
}

test('docs/semantics.md: the read-only table holds on a real mount', async () => {
  const rows = checkedRows(await fs.readFile(DOC, 'utf8'), 'Read-only mount');
  assert.ok(rows.length >= 15, `only ${rows.length} rows parsed`);
  const { d, m } = await mounted(['--read-only']);
  assert.deepEqual(await runRows(rows, m.mnt), []);
  // Nothing was changed underneath.
  assert.equal(await fs.readFile(path.join(d.root, 'file.txt'), 'utf8'), 'hello\n');
  assert.deepEqual((await fs.readdir(d.root)).sort(), ['file.txt', 'folder']);
});

test('docs/semantics.md: the writable table holds on a real mount', async () => {
  const rows = checkedRows(await fs.readFile(DOC, 'utf8'), 'Writable mount');
  assert.ok(rows.length >= 15, `only ${rows.length} rows parsed`);
  const { d, m } = await mounted(['--cache-dir', path.join(os.tmpdir(), `dm-sem-${process.pid}`)]);
  assert.deepEqual(await runRows(rows, m.mnt), []);
  // What the rows did is what the service now holds.
  assert.equal(await fs.readFile(path.join(d.root, 'file.txt'), 'utf8'), 'he');
  assert.deepEqual((await fs.readdir(d.root)).sort(), ['file.txt', 'folder']);
  assert.equal((await fs.stat(path.join(d.root, 'file.txt'))).mtime.toISOString().slice(0, 10), '2020-01-01');
});
