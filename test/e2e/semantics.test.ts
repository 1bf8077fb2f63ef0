// Executes the "Checked behaviour" table of docs/semantics.md against a real mount, so the
// document cannot drift from what the code does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDrive, mount, sh, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const DOC = fileURLToPath(new URL('../../../docs/semantics.md', import.meta.url));
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EROFS: 'Read-only file system',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
};

interface Row {
  operation: string;
  command: string;
  result: string;
}

function checkedRows(md: string): Row[] {
  const section = md.split('## Checked behaviour')[1];
  assert.ok(section, 'docs/semantics.md has no "Checked behaviour" section');
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const m = /^\|\s*([^|]+?)\s*\|\s*`([^`]+)`\s*\|\s*(\S+)\s*\|$/.exec(line);
    if (m) rows.push({ operation: m[1]!, command: m[2]!, result: m[3]! });
  }
  return rows;
}

let drive: DriveFixture;
let m: MountFixture;
before(async () => {
  drive = await startDrive({
    seed: async (root) => {
      await fs.writeFile(path.join(root, 'file.txt'), 'hello\n');
      await fs.mkdir(path.join(root, 'folder'));
      await fs.writeFile(path.join(root, 'folder', 'inside.txt'), 'in\n');
    },
  });
  m = await mount(drive, ['--read-only']);
});
after(async () => {
  await m?.unmount();
  await drive?.close();
});

test('docs/semantics.md: every row of the checked table holds on a real mount', async () => {
  const rows = checkedRows(await fs.readFile(DOC, 'utf8'));
  assert.ok(rows.length >= 15, `only ${rows.length} rows parsed`);
  const failures: string[] = [];
  for (const row of rows) {
    const cmd = row.command
      .replaceAll('{mnt}', m.mnt)
      .replaceAll('{file}', path.join(m.mnt, 'file.txt'))
      .replaceAll('{dir}', path.join(m.mnt, 'folder'));
    const r = await sh(cmd);
    if (row.result === 'ok') {
      if (r.code !== 0) failures.push(`${row.operation}: expected success, got exit ${r.code}: ${r.stderr.trim()}`);
    } else {
      const msg = STRERROR[row.result];
      assert.ok(msg, `unknown result "${row.result}" in the doc`);
      if (r.code === 0 || !r.stderr.includes(msg)) failures.push(`${row.operation}: expected ${row.result}, got exit ${r.code}: ${r.stderr.trim()}`);
    }
  }
  assert.deepEqual(failures, []);
  // Nothing was changed underneath.
  assert.equal(await fs.readFile(path.join(drive.root, 'file.txt'), 'utf8'), 'hello\n');
  assert.deepEqual((await fs.readdir(drive.root)).sort(), ['file.txt', 'folder']);
});
