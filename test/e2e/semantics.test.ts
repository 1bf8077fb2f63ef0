// Executes the "Checked behaviour" tables of docs/semantics.md against a real mount of every
// service, so the document cannot drift from what the code does. Each table has one result
// column per service (headed by its display name).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { startDrive, mount, sh, SERVICES, type DriveFixture, type MountFixture, type Service } from '../helpers/harness.js';

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
  ENAMETOOLONG: 'File name too long',
  EFBIG: 'File too large',
  EBUSY: 'Device or resource busy',
};

/** The heading of each service's result column in the tables. The legacy API stores files as the
 * Open API does (same file objects, same names refused and kept), so one Aliyundrive column holds for both. */
const COLUMN: Record<Service, string> = { onedrive: 'OneDrive', aliyundrive: 'Aliyundrive', 'aliyundrive-legacy': 'Aliyundrive' };

interface Row {
  operation: string;
  command: string;
  /** Expected result per service: `ok` or an errno name. */
  results: Record<Service, string>;
}

const cells = (line: string): string[] => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());

/** The rows of the table under `### {heading}` in the "Checked behaviour" section. */
function checkedRows(md: string, heading: string): Row[] {
  const section = md.split('## Checked behaviour')[1];
  assert.ok(section, 'docs/semantics.md has no "Checked behaviour" section');
  const part = section.split('\n### ').find((p) => p.startsWith(heading));
  assert.ok(part, `no "### ${heading}" table`);
  const lines = part.split('\n').filter((l) => l.startsWith('|'));
  const header = cells(lines[0] ?? '');
  assert.deepEqual(header.slice(0, 2), ['operation', 'command'], `"### ${heading}" table header`);
  const column = {} as Record<Service, number>;
  for (const s of SERVICES) {
    column[s] = header.indexOf(COLUMN[s]);
    assert.ok(column[s] >= 2, `"### ${heading}" table has no ${COLUMN[s]} column`);
  }
  const rows: Row[] = [];
  for (const line of lines.slice(2)) {
    const c = cells(line);
    assert.equal(c.length, header.length, `row with ${c.length} cells: ${line}`);
    const cmd = /^`([^`]+)`$/.exec(c[1]!);
    assert.ok(cmd, `command not in backticks: ${line}`);
    const results = {} as Record<Service, string>;
    for (const s of SERVICES) results[s] = c[column[s]]!;
    rows.push({ operation: c[0]!, command: cmd[1]!, results });
  }
  return rows;
}

async function runRows(rows: Row[], service: Service, mnt: string): Promise<string[]> {
  const failures: string[] = [];
  for (const row of rows) {
    const cmd = row.command
      .replace(/^as_nobody /, 'setpriv --reuid=65534 --regid=65534 --clear-groups ')
      .replaceAll('{mnt}', mnt)
      .replaceAll('{file}', path.join(mnt, 'file.txt'))
      .replaceAll('{dir}', path.join(mnt, 'folder'));
    const r = await sh(cmd);
    const expected = row.results[service];
    if (expected === 'ok') {
      if (r.code !== 0) failures.push(`${row.operation}: expected success, got exit ${r.code}: ${r.stderr.trim()}`);
    } else if (expected === 'fails') {
      // The command's own check does not hold on this service (no errno involved).
      if (r.code === 0) failures.push(`${row.operation}: expected the check to fail, but the command succeeded`);
    } else {
      const msg = STRERROR[expected];
      assert.ok(msg, `unknown result "${expected}" in the doc`);
      if (r.code === 0 || !r.stderr.includes(msg)) failures.push(`${row.operation}: expected ${expected}, got exit ${r.code}: ${r.stderr.trim()}`);
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

async function mounted(service: Service, args: string[]) {
  const f: { d?: DriveFixture; m?: MountFixture } = {};
  fixtures.push(f);
  f.d = await startDrive({ service, seed });
  f.m = await mount(f.d, args);
  return { d: f.d, m: f.m };
}

/** What the root holds after the writable table: the names the rows created and kept. */
const ROOT_AFTER_WRITES: Record<Service, string[]> = {
  onedrive: ['file.txt', 'folder', 'replaced', 'written.txt'],
  // Case-sensitive and refusing no names: the "another case" and "refused name" rows created items.
  aliyundrive: ['FILE.TXT', 'bad.', 'bad:name', 'file.txt', 'folder', 'replaced', 'written.txt'],
  'aliyundrive-legacy': ['FILE.TXT', 'bad.', 'bad:name', 'file.txt', 'folder', 'replaced', 'written.txt'],
};

for (const service of SERVICES) {
  test(`docs/semantics.md: the read-only table holds on a real ${service} mount`, async () => {
    const rows = checkedRows(await fs.readFile(DOC, 'utf8'), 'Read-only mount');
    assert.ok(rows.length >= 15, `only ${rows.length} rows parsed`);
    const { d, m } = await mounted(service, ['--read-only']);
    assert.deepEqual(await runRows(rows, service, m.mnt), []);
    // Nothing was changed underneath.
    assert.equal(await fs.readFile(path.join(d.root, 'file.txt'), 'utf8'), 'hello\n');
    assert.deepEqual((await fs.readdir(d.root)).sort(), ['file.txt', 'folder']);
  });

  test(`docs/semantics.md: the writable table holds on a real ${service} mount`, async () => {
    const rows = checkedRows(await fs.readFile(DOC, 'utf8'), 'Writable mount');
    assert.ok(rows.length >= 15, `only ${rows.length} rows parsed`);
    const { d, m } = await mounted(service, ['--cache-dir', path.join(os.tmpdir(), `dm-sem-${service}-${process.pid}`)]);
    assert.deepEqual(await runRows(rows, service, m.mnt), []);
    // What the rows did is what the service now holds (the emulators keep items as plain files).
    assert.equal(await fs.readFile(path.join(d.root, 'file.txt'), 'utf8'), 'he');
    assert.deepEqual((await fs.readdir(d.root)).sort(), ROOT_AFTER_WRITES[service]);
    assert.deepEqual(await fs.readdir(path.join(d.root, 'folder')), ['inside.txt']);
    assert.equal(await fs.readFile(path.join(d.root, 'folder', 'inside.txt'), 'utf8'), 'c\n');
    const day = (await fs.stat(path.join(d.root, 'file.txt'))).mtime.toISOString().slice(0, 10);
    if (service === 'onedrive') assert.equal(day, '2020-01-01');
    // Neither Aliyundrive API keeps a client time: the stored time stays the service's own.
    else assert.notEqual(day, '2020-01-01');
  });
}

for (const service of SERVICES) {
  test(`docs/semantics.md: the other-users table holds on a real ${service} mount with --allow-other`, async () => {
    const rows = checkedRows(await fs.readFile(DOC, 'utf8'), 'Other users');
    assert.ok(rows.length >= 8, `only ${rows.length} rows parsed`);
    const { d, m } = await mounted(service, ['--allow-other', '--umask', '022', '--cache-dir', path.join(os.tmpdir(), `dm-sem-other-${service}-${process.pid}`)]);
    await fs.chmod(path.dirname(m.mnt), 0o755); // the test's own folder must not stop the other user first
    assert.deepEqual(await runRows(rows, service, m.mnt), []);
    assert.equal(await fs.readFile(path.join(d.root, 'file.txt'), 'utf8'), 'hello\n', 'the other user changed nothing');
    assert.deepEqual((await fs.readdir(d.root)).sort(), ['file.txt', 'folder']);
    assert.equal(await fs.readFile(path.join(d.root, 'folder', 'inside.txt'), 'utf8'), 'in\nx\n');
  });
}
