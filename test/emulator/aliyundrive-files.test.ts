// Aliyundrive emulator: file objects, listing (paging, clamping, order),
// get / get_by_path, live photos, folders, rename, move, copy, trash, delete.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type AliHarness, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('Aliyundrive emulator: files and folders', () => {
  let h: AliHarness;
  let drive: string;

  before(async () => {
    h = await startAliHarness({}, async (root) => {
      await mkdir(path.join(root, 'many'));
      for (let i = 0; i < 250; i++) await writeFile(path.join(root, 'many', `f${String(i).padStart(3, '0')}.txt`), 'x'.repeat(i));
      await mkdir(path.join(root, 'docs', 'deep'), { recursive: true });
      await writeFile(path.join(root, 'docs', 'deep', 'note.md'), '# note');
      await writeFile(path.join(root, 'hello.txt'), 'hello world');
      await mkdir(path.join(root, 'IMG_1.livp'));
      await writeFile(path.join(root, 'IMG_1.livp', 'IMG_1.jpeg'), Buffer.alloc(300, 1));
      await writeFile(path.join(root, 'IMG_1.livp', 'IMG_1.mov'), Buffer.alloc(700, 2));
      await mkdir(path.join(root, 'odd.livp'));
      await writeFile(path.join(root, 'odd.livp', 'a.jpeg'), 'a');
      await writeFile(path.join(root, 'odd.livp', 'b.mov'), 'b');
      await writeFile(path.join(root, 'odd.livp', 'c.txt'), 'c');
    });
    drive = h.emu.driveIds.resource;
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => h.emu.resetStats());

  const list = (parent: string, extra: Record<string, unknown> = {}) => h.api('openFile/list', { drive_id: drive, parent_file_id: parent, ...extra });
  const byPath = (p: string) => h.api('openFile/get_by_path', { drive_id: drive, file_path: p });
  async function idOf(p: string): Promise<string> {
    const r = await byPath(p);
    assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body)}`);
    return r.body.file_id;
  }

  it('pages 250 entries with the limit clamped to 100 and a stable order', async () => {
    const many = await idOf('/many');
    const names: string[] = [];
    let marker = '';
    const sizes: number[] = [];
    do {
      const r = await list(many, { limit: 200, marker });
      assert.equal(r.status, 200);
      sizes.push(r.body.items.length);
      names.push(...r.body.items.map((i: { name: string }) => i.name));
      marker = r.body.next_marker;
    } while (marker !== '');
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.equal(h.emu.stats().list, 3);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, 250);

    const def = await list(many);
    assert.equal(def.body.items.length, 50);
    const desc = await list(many, { order_by: 'size', order_direction: 'DESC', limit: 3 });
    assert.deepEqual(desc.body.items.map((i: { size: number }) => i.size), [249, 248, 247]);
    const bad = await list(many, { order_by: 'colour' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'InvalidParameter.OrderBy');
    const neg = await list(many, { limit: -1 });
    assert.equal(neg.body.code, 'InvalidParameter.Limit');
  });

  it('describes files and folders like the service', async () => {
    const r = await list('root');
    const byName = Object.fromEntries(r.body.items.map((i: { name: string }) => [i.name, i]));
    const f = byName['hello.txt'];
    assert.equal(f.drive_id, drive);
    assert.match(f.file_id, /^[0-9a-f]{40}$/);
    assert.equal(f.parent_file_id, 'root');
    assert.equal(f.type, 'file');
    assert.equal(f.size, 11);
    assert.equal(f.file_extension, 'txt');
    assert.equal(f.category, 'doc');
    assert.equal(f.content_hash_name, 'sha1');
    assert.equal(f.content_hash, createHash('sha1').update('hello world').digest('hex').toUpperCase());
    assert.match(f.created_at, ISO_MS);
    assert.match(f.updated_at, ISO_MS);
    const d = byName.docs;
    assert.equal(d.type, 'folder');
    assert.equal(d.size, undefined);
    // Live photo: a folder X.livp with X.jpeg + X.mov is one file.
    const l = byName['IMG_1.livp'];
    assert.equal(l.type, 'file');
    assert.equal(l.file_extension, 'livp');
    assert.equal(l.size, 1000);
    assert.equal(byName['odd.livp'].type, 'folder');
    const files = await list('root', { type: 'file' });
    assert.deepEqual(files.body.items.map((i: { name: string }) => i.name), ['IMG_1.livp', 'hello.txt']);
  });

  it('gets items by id and by path', async () => {
    const id = await idOf('/docs/deep/note.md');
    const g = await h.api('openFile/get', { drive_id: drive, file_id: id });
    assert.equal(g.status, 200);
    assert.equal(g.body.name, 'note.md');
    assert.equal(g.body.parent_file_id, await idOf('/docs/deep'));
    assert.equal((await byPath('docs/deep/note.md')).body.file_id, id);
    for (const p of ['/docs/nope.md', '/hello.txt/x', '/IMG_1.livp/IMG_1.mov', '/Docs']) {
      const r = await byPath(p);
      assert.equal(r.status, 404, p);
      assert.equal(r.body.code, 'NotFound.File');
    }
    const missing = await h.api('openFile/get', { drive_id: drive, file_id: 'f'.repeat(40) });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'NotFound.File');
    const noParent = await list('0'.repeat(40));
    assert.equal(noParent.status, 404);
    assert.equal(noParent.body.code, 'NotFound.FileId');
    const s = h.emu.stats();
    assert.equal(s.get, 2);
    assert.ok(s.getByPath >= 7);
  });

  it('creates folders with check_name_mode', async () => {
    const mk = (name: string, mode: string) =>
      h.api('openFile/create', { drive_id: drive, parent_file_id: 'root', name, type: 'folder', check_name_mode: mode });
    const a = await mk('made', 'refuse');
    assert.equal(a.status, 200);
    assert.equal(a.body.file_name, 'made');
    assert.equal(a.body.exist, false);
    const b = await mk('made', 'refuse');
    assert.equal(b.body.exist, true);
    assert.equal(b.body.file_id, a.body.file_id);
    const c = await mk('made', 'auto_rename');
    assert.equal(c.body.file_name, 'made(1)');
    assert.ok((await readdir(h.root)).includes('made(1)'));
    const bad = await mk('a/b', 'refuse');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'InvalidParameter.Name');
  });

  it('renames and moves, keeping ids; refuses name clashes', async () => {
    await writeFile(path.join(h.root, 'r1.txt'), 'one');
    await writeFile(path.join(h.root, 'r2.txt'), 'two');
    const id = await idOf('/r1.txt');
    let r = await h.api('openFile/update', { drive_id: drive, file_id: id, name: 'r2.txt', check_name_mode: 'refuse' });
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'AlreadyExist.File');
    r = await h.api('openFile/update', { drive_id: drive, file_id: id, name: 'renamed.txt' });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'renamed.txt');
    assert.equal(r.body.file_id, id);
    assert.equal(await readFile(path.join(h.root, 'renamed.txt'), 'utf8'), 'one');

    const docs = await idOf('/docs');
    r = await h.api('openFile/move', { drive_id: drive, file_id: id, to_parent_file_id: docs });
    assert.deepEqual(r.body, { drive_id: drive, file_id: id, exist: false });
    assert.equal(await idOf('/docs/renamed.txt'), id);
    // A name taken at the destination: refuse keeps everything; new_name is used instead.
    const two = await idOf('/r2.txt');
    await writeFile(path.join(h.root, 'docs', 'r2.txt'), 'other');
    r = await h.api('openFile/move', { drive_id: drive, file_id: two, to_parent_file_id: docs, check_name_mode: 'refuse' });
    assert.equal(r.body.exist, true);
    assert.equal(await readFile(path.join(h.root, 'r2.txt'), 'utf8'), 'two');
    r = await h.api('openFile/move', { drive_id: drive, file_id: two, to_parent_file_id: docs, new_name: 'r2-moved.txt' });
    assert.equal(r.body.exist, false);
    assert.equal(await readFile(path.join(h.root, 'docs', 'r2-moved.txt'), 'utf8'), 'two');

    // ignore: a rename onto an existing file; the displaced one can then be deleted by id.
    await writeFile(path.join(h.root, 'docs', 'target.txt'), 'target');
    const target = await idOf('/docs/target.txt');
    r = await h.api('openFile/update', { drive_id: drive, file_id: id, name: 'target.txt', check_name_mode: 'ignore' });
    assert.equal(r.status, 200);
    assert.equal(await readFile(path.join(h.root, 'docs', 'target.txt'), 'utf8'), 'one');
    assert.equal((await h.api('openFile/delete', { drive_id: drive, file_id: target })).status, 200);
    assert.equal((await h.api('openFile/get', { drive_id: drive, file_id: target })).status, 404);

    r = await h.api('openFile/move', { drive_id: drive, file_id: docs, to_parent_file_id: await idOf('/docs/deep') });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'InvalidParameter.ToParentFileId');
    // Live photos keep their .livp extension.
    r = await h.api('openFile/update', { drive_id: drive, file_id: await idOf('/IMG_1.livp'), name: 'IMG_1.jpg' });
    assert.equal(r.status, 400);
  });

  it('copies files and folders', async () => {
    const hello = await idOf('/hello.txt');
    const deep = await idOf('/docs/deep');
    let r = await h.api('openFile/copy', { drive_id: drive, file_id: hello, to_parent_file_id: deep });
    assert.equal(r.status, 200);
    assert.notEqual(r.body.file_id, hello);
    assert.equal(await readFile(path.join(h.root, 'docs', 'deep', 'hello.txt'), 'utf8'), 'hello world');
    r = await h.api('openFile/copy', { drive_id: drive, file_id: hello, to_parent_file_id: deep });
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'AlreadyExist.File');
    r = await h.api('openFile/copy', { drive_id: drive, file_id: hello, to_parent_file_id: deep, auto_rename: true });
    assert.equal((await h.api('openFile/get', { drive_id: drive, file_id: r.body.file_id })).body.name, 'hello(1).txt');
    r = await h.api('openFile/copy', { drive_id: drive, file_id: deep, to_parent_file_id: 'root' });
    assert.equal(r.status, 200);
    assert.deepEqual((await readdir(path.join(h.root, 'deep'))).sort(), ['hello(1).txt', 'hello.txt', 'note.md']);
    assert.equal(h.emu.stats().copy, 4);
  });

  it('trash keeps the bytes (and the space used); delete removes them', async () => {
    await writeFile(path.join(h.root, 'bin.dat'), Buffer.alloc(4000));
    await writeFile(path.join(h.root, 'gone.dat'), Buffer.alloc(3000));
    const before = (await h.api('user/getSpaceInfo')).body.personal_space_info.used_size;
    const id = await idOf('/bin.dat');
    let r = await h.api('openFile/recyclebin/trash', { drive_id: drive, file_id: id });
    assert.equal(r.status, 200);
    assert.ok(!(await readdir(h.root)).includes('bin.dat'));
    assert.equal((await h.api('openFile/get', { drive_id: drive, file_id: id })).body.code, 'NotFound.File');
    assert.equal((await byPath('/bin.dat')).status, 404);
    assert.ok(!(await list('root')).body.items.some((i: { name: string }) => i.name === 'bin.dat'));
    assert.equal((await h.api('user/getSpaceInfo')).body.personal_space_info.used_size, before);
    r = await h.api('openFile/getDownloadUrl', { drive_id: drive, file_id: id });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'ForbiddenFileInTheRecycleBin');
    r = await h.api('openFile/update', { drive_id: drive, file_id: id, name: 'x.dat' });
    assert.equal(r.body.code, 'ForbiddenFileInTheRecycleBin');

    r = await h.api('openFile/delete', { drive_id: drive, file_id: id }); // empties it from the bin
    assert.equal(r.status, 200);
    r = await h.api('openFile/delete', { drive_id: drive, file_id: await idOf('/gone.dat') });
    assert.equal(r.status, 200);
    assert.ok(!(await readdir(h.root)).includes('gone.dat'));
    assert.equal((await h.api('user/getSpaceInfo')).body.personal_space_info.used_size, before - 7000);
    r = await h.api('openFile/delete', { drive_id: drive, file_id: id });
    assert.equal(r.status, 404);
    r = await h.api('openFile/recyclebin/trash', { drive_id: drive, file_id: 'root' });
    assert.equal(r.status, 400);
    const s = h.emu.stats();
    assert.equal(s.trash, 2);
    assert.equal(s.delete, 3);
  });
});
