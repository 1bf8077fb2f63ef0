// Rename and move (PATCH) as the real service does them: conflictBehavior only from the URL,
// `replace` ignored on drives that ignore it (the default) and never over folders, the
// modification time reset by a move that does not send fileSystemInfo, and the failMoveEvery fault.

import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { DEFAULT_FAULTS } from '../../src/emulators/onedrive/server.js';
import { type Harness, startHarness } from './helpers.js';

const json = (body: unknown): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const REPLACE = '?@microsoft.graph.conflictBehavior=replace';
const OLD = '2019-02-03T04:05:06Z';

describe('OneDrive emulator: rename and move', () => {
  let h: Harness;
  let n = 0;
  /** A fresh folder holding a.txt ("a") and b.txt ("b"), and the ids of both. */
  let dir: string;
  let a: { id: string };
  let b: { id: string };

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });
  beforeEach(async () => {
    h.emu.setFaults({ ignoreReplaceOnMove: DEFAULT_FAULTS.ignoreReplaceOnMove, failMoveEvery: 0 });
    dir = `D${++n}`;
    await mkdir(path.join(h.root, dir, 'sub'), { recursive: true });
    await writeFile(path.join(h.root, dir, 'a.txt'), 'a');
    await writeFile(path.join(h.root, dir, 'b.txt'), 'b');
    a = (await h.graphJson(`/me/drive/root:/${dir}/a.txt:`)).body;
    b = (await h.graphJson(`/me/drive/root:/${dir}/b.txt:`)).body;
  });

  const patch = (id: string, body: unknown, query = '') => h.graphJson(`/me/drive/items/${id}${query}`, { method: 'PATCH', ...json(body) });
  const bothKept = async () => {
    assert.equal(await readFile(path.join(h.root, dir, 'a.txt'), 'utf8'), 'a');
    assert.equal(await readFile(path.join(h.root, dir, 'b.txt'), 'utf8'), 'b');
  };

  it('the default is strict: ignoreReplaceOnMove is on', () => {
    assert.equal(DEFAULT_FAULTS.ignoreReplaceOnMove, 1);
  });

  it('ignores a conflictBehavior annotation in the PATCH body: a taken name is 409 nameAlreadyExists', async () => {
    h.emu.setFaults({ ignoreReplaceOnMove: 0 }); // even where the URL form would replace
    const r = await patch(a.id, { name: 'b.txt', '@microsoft.graph.conflictBehavior': 'replace' });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'nameAlreadyExists');
    await bothKept();
  });

  it('replace in the URL is ignored (409) by default, and replaces a file when ignoreReplaceOnMove is 0', async () => {
    let r = await patch(a.id, { name: 'b.txt' }, REPLACE);
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'nameAlreadyExists');
    await bothKept();
    h.emu.setFaults({ ignoreReplaceOnMove: 0 });
    r = await patch(a.id, { name: 'b.txt' }, REPLACE);
    assert.equal(r.status, 200);
    assert.equal(r.body.id, a.id);
    assert.deepEqual((await readdir(path.join(h.root, dir))).sort(), ['b.txt', 'sub']);
    assert.equal(await readFile(path.join(h.root, dir, 'b.txt'), 'utf8'), 'a');
  });

  it('replace never overwrites a folder, nor puts a folder over a file', async () => {
    h.emu.setFaults({ ignoreReplaceOnMove: 0 });
    let r = await patch(a.id, { name: 'sub' }, REPLACE);
    assert.equal(r.status, 409);
    const sub = (await h.graphJson(`/me/drive/root:/${dir}/sub:`)).body;
    r = await patch(sub.id, { name: 'a.txt' }, REPLACE);
    assert.equal(r.status, 409);
    await bothKept();
    assert.ok((await stat(path.join(h.root, dir, 'sub'))).isDirectory());
  });

  it('a rename or move without fileSystemInfo resets lastModifiedDateTime; one with it keeps the time sent', async () => {
    let r = await patch(a.id, { fileSystemInfo: { lastModifiedDateTime: OLD } });
    assert.equal(r.body.fileSystemInfo.lastModifiedDateTime, OLD, 'setting times alone is not a move');
    const before = Math.floor(Date.now() / 1000) * 1000;
    r = await patch(a.id, { name: 'a2.txt' });
    assert.equal(r.status, 200);
    assert.ok(Date.parse(r.body.fileSystemInfo.lastModifiedDateTime) >= before, `rename kept ${r.body.fileSystemInfo.lastModifiedDateTime}`);
    assert.ok((await stat(path.join(h.root, dir, 'a2.txt'))).mtimeMs >= before);

    r = await patch(a.id, { name: 'a3.txt', fileSystemInfo: { lastModifiedDateTime: OLD } });
    assert.equal(r.body.fileSystemInfo.lastModifiedDateTime, OLD);
    const sub = (await h.graphJson(`/me/drive/root:/${dir}/sub:`)).body;
    r = await patch(a.id, { parentReference: { id: sub.id } });
    assert.equal(r.status, 200);
    assert.ok(Date.parse(r.body.fileSystemInfo.lastModifiedDateTime) >= before, 'a move resets it too');
    r = await patch(a.id, { parentReference: { id: sub.id }, name: 'a4.txt', fileSystemInfo: { lastModifiedDateTime: OLD, createdDateTime: OLD } });
    assert.equal(r.body.fileSystemInfo.lastModifiedDateTime, OLD);
    assert.equal(r.body.fileSystemInfo.createdDateTime, OLD);
  });

  it('failMoveEvery: every Nth move PATCH answers 500 and changes nothing; time-only PATCHes are not counted', async () => {
    h.emu.setFaults({ failMoveEvery: 2 });
    let r = await patch(a.id, { fileSystemInfo: { lastModifiedDateTime: OLD } });
    assert.equal(r.status, 200);
    r = await patch(a.id, { name: 'a2.txt' });
    assert.equal(r.status, 200);
    r = await patch(a.id, { name: 'a3.txt' });
    assert.equal(r.status, 500);
    assert.equal(r.body.error.code, 'generalException');
    assert.equal(await readFile(path.join(h.root, dir, 'a2.txt'), 'utf8'), 'a');
    r = await patch(a.id, { name: 'a3.txt' });
    assert.equal(r.status, 200);
    assert.equal(h.emu.stats().moveFailed, 1);
  });
});
