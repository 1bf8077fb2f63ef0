// Write operations other than upload sessions: simple upload, mkdir, PATCH
// (rename / move / times), DELETE, copy, refused names, long paths, quota,
// If-Match.

import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { QuickXorHash } from '../../src/hash/quickxorhash.js';
import { type Harness, sleep, startHarness } from './helpers.js';

const json = (body: unknown): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('OneDrive emulator: writes', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({}, async (root) => {
      await mkdir(path.join(root, 'Dir', 'Inner'), { recursive: true });
      await writeFile(path.join(root, 'Dir', 'Inner', 'deep.txt'), 'deep');
      await writeFile(path.join(root, 'Dir', 'file.txt'), 'file');
    });
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.setFaults({ quotaTotal: 1024 ** 4 });
    h.emu.resetStats();
  });

  const upload = (p: string, body: string | Buffer, query = ''): Promise<{ status: number; body: any }> =>
    h.graphJson(`/me/drive/root:/${p}:/content${query}`, { method: 'PUT', body: typeof body === 'string' ? body : new Uint8Array(body) });

  it('simple upload: 201 new, 200 replaced (same id), conflictBehavior fail/rename', async () => {
    let r = await upload('Dir/simple.txt', 'one');
    assert.equal(r.status, 201);
    assert.equal(r.body.file.hashes.quickXorHash, QuickXorHash.of(Buffer.from('one')));
    const id = r.body.id;
    r = await upload('dir/SIMPLE.txt', 'two!');
    assert.equal(r.status, 200);
    assert.equal(r.body.id, id);
    assert.equal(r.body.name, 'simple.txt', 'case of the existing item is kept');
    assert.equal(r.body.size, 4);
    assert.equal(await readFile(path.join(h.root, 'Dir', 'simple.txt'), 'utf8'), 'two!');
    r = await upload('Dir/simple.txt', 'three', '?@microsoft.graph.conflictBehavior=fail');
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'nameAlreadyExists');
    r = await upload('Dir/simple.txt', 'three', '?@microsoft.graph.conflictBehavior=rename');
    assert.equal(r.status, 201);
    assert.equal(r.body.name, 'simple 1.txt');
    // By parent id + name, and by item id.
    const dir = (await h.graphJson('/me/drive/root:/Dir:')).body;
    r = await h.graphJson(`/me/drive/items/${dir.id}:/byid.txt:/content`, { method: 'PUT', body: 'x' });
    assert.equal(r.status, 201);
    r = await h.graphJson(`/me/drive/items/${id}/content`, { method: 'PUT', body: 'four' });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, id);
    // An empty file.
    r = await upload('Dir/empty.txt', '');
    assert.equal(r.status, 201);
    assert.equal(r.body.size, 0);
    assert.equal(h.emu.stats().simpleUpload, 7);
  });

  it('simple upload into a missing folder is 404 (parents are not created)', async () => {
    const r = await upload('Nope/x.txt', 'x');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'itemNotFound');
  });

  it('mkdir: 201, 409 on an existing name, rename and replace', async () => {
    let r = await h.graphJson('/me/drive/root/children', { method: 'POST', ...json({ name: 'Made', folder: {}, '@microsoft.graph.conflictBehavior': 'fail' }) });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.folder, { childCount: 0 });
    assert.equal(r.body.name, 'Made');
    r = await h.graphJson('/me/drive/root/children', { method: 'POST', ...json({ name: 'made', folder: {} }) });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'nameAlreadyExists');
    r = await h.graphJson('/me/drive/root/children', { method: 'POST', ...json({ name: 'Made', folder: {}, '@microsoft.graph.conflictBehavior': 'rename' }) });
    assert.equal(r.status, 201);
    assert.equal(r.body.name, 'Made 1');
    await writeFile(path.join(h.root, 'Made', 'x.txt'), 'x');
    r = await h.graphJson('/me/drive/root:/Made:/children', { method: 'POST', ...json({ name: 'Sub', folder: {} }) });
    assert.equal(r.status, 201);
    assert.equal(r.body.parentReference.path, '/drive/root:/Made');
    r = await h.graphJson('/me/drive/root/children', { method: 'POST', ...json({ name: 'Made', folder: {}, '@microsoft.graph.conflictBehavior': 'replace' }) });
    assert.equal(r.status, 201);
    assert.equal(r.body.folder.childCount, 0);
    r = await h.graphJson('/me/drive/root/children', { method: 'POST', ...json({ name: 'nofacet' }) });
    assert.equal(r.status, 400);
    assert.equal(h.emu.stats().mkdir, 6);
  });

  it('refuses names OneDrive refuses (400 invalidRequest) and paths of 400+ characters (pathIsTooLong)', async () => {
    const bad = ['a"b', 'a*b', 'a:b', 'a<b', 'a>b', 'a?b', 'a\\b', 'a|b', ' lead', 'trail ', 'dot.', '.lock', 'CON', 'prn', 'AUX', 'nul', 'COM1', 'lpt9', 'desktop.ini', 'my_vti_dir'];
    for (const name of bad) {
      const r = await h.graphJson('/me/drive/root/children', { method: 'POST', ...json({ name, folder: {} }) });
      assert.equal(r.status, 400, `mkdir ${JSON.stringify(name)}`);
      assert.equal(r.body.error.code, 'invalidRequest');
      const u = await upload(encodeURIComponent(name), 'x');
      assert.equal(u.status, 400, `upload ${JSON.stringify(name)}`);
    }
    for (const ok of ['CON.txt', 'a.b', '.hidden', 'COM10']) {
      assert.equal((await upload(encodeURIComponent(ok), 'x')).status, 201, ok);
    }
    // '/a…' of 399 characters is fine, 400 is not.
    await mkdir(path.join(h.root, 'L'));
    const name = (n: number): string => 'x'.repeat(n);
    // full path = '/L/' + name → 3 + n characters
    let r = await upload(`L/${name(200)}`, 'x');
    assert.equal(r.status, 201);
    await mkdir(path.join(h.root, 'L', 'y'.repeat(200)));
    r = await upload(`L/${'y'.repeat(200)}/${name(195)}`, 'x'); // 3 + 200 + 1 + 195 = 399
    assert.equal(r.status, 201);
    r = await upload(`L/${'y'.repeat(200)}/${name(196)}`, 'x'); // 400
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'pathIsTooLong');
  });

  it('PATCH renames, moves and sets times; conflicts follow conflictBehavior', async () => {
    await writeFile(path.join(h.root, 'Dir', 'p1.txt'), 'p1');
    await writeFile(path.join(h.root, 'Dir', 'p2.txt'), 'p2');
    const p1 = (await h.graphJson('/me/drive/root:/Dir/p1.txt:')).body;
    const inner = (await h.graphJson('/me/drive/root:/Dir/Inner:')).body;

    let r = await h.graphJson(`/me/drive/items/${p1.id}`, { method: 'PATCH', ...json({ name: 'renamed.txt' }) });
    assert.equal(r.status, 200);
    assert.equal(r.body.id, p1.id);
    assert.equal(r.body.name, 'renamed.txt');

    r = await h.graphJson(`/me/drive/items/${p1.id}`, { method: 'PATCH', ...json({ parentReference: { id: inner.id } }) });
    assert.equal(r.status, 200);
    assert.equal(r.body.parentReference.path, '/drive/root:/Dir/Inner');
    assert.equal(await readFile(path.join(h.root, 'Dir', 'Inner', 'renamed.txt'), 'utf8'), 'p1');

    // Move back next to p2 under p2's name: fail (default) → 409.
    r = await h.graphJson(`/me/drive/items/${p1.id}`, { method: 'PATCH', ...json({ name: 'P2.txt', parentReference: { path: '/drive/root:/Dir' } }) });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'nameAlreadyExists');
    r = await h.graphJson(`/me/drive/items/${p1.id}?@microsoft.graph.conflictBehavior=rename`, { method: 'PATCH', ...json({ name: 'p2.txt', parentReference: { path: '/drive/root:/Dir' } }) });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'p2 1.txt');
    // replace belongs in the URL (a body annotation is ignored: onedrive-rename.test.ts), and only
    // where the drive honours it (ignoreReplaceOnMove 0).
    h.emu.setFaults({ ignoreReplaceOnMove: 0 });
    r = await h.graphJson(`/me/drive/items/${p1.id}?@microsoft.graph.conflictBehavior=replace`, { method: 'PATCH', ...json({ name: 'p2.txt' }) });
    h.emu.setFaults({ ignoreReplaceOnMove: 1 });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'p2.txt');
    assert.equal(await readFile(path.join(h.root, 'Dir', 'p2.txt'), 'utf8'), 'p1');

    // Case-only rename is not a conflict.
    r = await h.graphJson(`/me/drive/items/${p1.id}`, { method: 'PATCH', ...json({ name: 'P2.TXT' }) });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'P2.TXT');

    // Times.
    r = await h.graphJson(`/me/drive/items/${p1.id}`, { method: 'PATCH', ...json({ fileSystemInfo: { lastModifiedDateTime: '2019-02-03T04:05:06Z' } }) });
    assert.equal(r.status, 200);
    assert.equal(r.body.fileSystemInfo.lastModifiedDateTime, '2019-02-03T04:05:06Z');
    assert.equal((await stat(path.join(h.root, 'Dir', 'P2.TXT'))).mtime.toISOString(), '2019-02-03T04:05:06.000Z');

    // Refused moves and names.
    const dir = (await h.graphJson('/me/drive/root:/Dir:')).body;
    r = await h.graphJson(`/me/drive/items/${dir.id}`, { method: 'PATCH', ...json({ parentReference: { id: inner.id } }) });
    assert.equal(r.status, 400);
    r = await h.graphJson(`/me/drive/items/${p1.id}`, { method: 'PATCH', ...json({ name: 'bad|name' }) });
    assert.equal(r.status, 400);
    r = await h.graphJson('/me/drive/root', { method: 'PATCH', ...json({ name: 'x' }) });
    assert.equal(r.status, 400);
    assert.equal(h.emu.stats().patch, 10);
  });

  it('honours If-Match on PATCH and DELETE (412 on a stale eTag)', async () => {
    await writeFile(path.join(h.root, 'Dir', 'etag.txt'), 'e');
    const item = (await h.graphJson('/me/drive/root:/Dir/etag.txt:')).body;
    let r = await h.graphJson(`/me/drive/items/${item.id}`, { method: 'PATCH', headers: { 'if-match': '"{nope},1"', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'etag2.txt' }) });
    assert.equal(r.status, 412);
    r = await h.graphJson(`/me/drive/items/${item.id}`, { method: 'PATCH', headers: { 'if-match': item.eTag, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'etag2.txt' }) });
    assert.equal(r.status, 200);
    r = await h.graphJson(`/me/drive/items/${item.id}`, { method: 'DELETE', headers: { 'if-match': item.eTag } });
    assert.equal(r.status, 412, 'the rename changed the eTag');
  });

  it('DELETE: 204, folders recursively, the root is refused', async () => {
    await mkdir(path.join(h.root, 'Gone', 'a', 'b'), { recursive: true });
    await writeFile(path.join(h.root, 'Gone', 'a', 'b', 'f.txt'), 'f');
    await writeFile(path.join(h.root, 'gone.txt'), 'g');
    let r = await h.graph('/me/drive/root:/gone.txt:', { method: 'DELETE' });
    assert.equal(r.status, 204);
    r = await h.graph('/me/drive/root:/Gone:', { method: 'DELETE' });
    assert.equal(r.status, 204);
    assert.equal((await h.graph('/me/drive/root:/Gone:')).status, 404);
    await assert.rejects(stat(path.join(h.root, 'Gone')));
    assert.equal((await h.graph('/me/drive/root:/Gone:', { method: 'DELETE' })).status, 404);
    assert.equal((await h.graph('/me/drive/root', { method: 'DELETE' })).status, 403);
    assert.equal(h.emu.stats().delete, 4);
  });

  it('copy: 202 with a monitor URL (no auth) that reports completion', async () => {
    const src = (await h.graphJson('/me/drive/root:/Dir:')).body;
    const root = (await h.graphJson('/me/drive/root')).body;
    const res = await h.graph(`/me/drive/items/${src.id}/copy`, { method: 'POST', ...json({ parentReference: { id: root.id }, name: 'DirCopy' }) });
    assert.equal(res.status, 202);
    const monitor = res.headers.get('location');
    assert.ok(monitor?.startsWith(h.emu.url));
    let status: any;
    for (let i = 0; i < 50; i++) {
      const m = await fetch(monitor!);
      status = await m.json();
      if (status.status === 'completed' || status.status === 'failed') break;
      await sleep(20);
    }
    assert.equal(status.status, 'completed');
    assert.equal(status.percentageComplete, 100);
    const copy = await h.graphJson(`/me/drive/items/${status.resourceId}`);
    assert.equal(copy.body.name, 'DirCopy');
    assert.equal(await readFile(path.join(h.root, 'DirCopy', 'Inner', 'deep.txt'), 'utf8'), 'deep');
    // Same name again with the default (fail) → the operation fails.
    const again = await h.graph(`/me/drive/items/${src.id}/copy`, { method: 'POST', ...json({ parentReference: { id: root.id }, name: 'DirCopy' }) });
    assert.equal(again.status, 202);
    for (let i = 0; i < 50; i++) {
      status = await (await fetch(again.headers.get('location')!)).json();
      if (status.status !== 'inProgress') break;
      await sleep(20);
    }
    assert.equal(status.status, 'failed');
    assert.equal(status.error.code, 'nameAlreadyExists');
    assert.equal(h.emu.stats().copy, 2);
  });

  it('answers 507 quotaLimitReached on simple upload and copy beyond the quota', async () => {
    const used = (await h.graphJson('/me/drive')).body.quota.used;
    h.emu.setFaults({ quotaTotal: used + 10 });
    let r = await upload('Dir/big.txt', 'x'.repeat(11));
    assert.equal(r.status, 507);
    assert.equal(r.body.error.code, 'quotaLimitReached');
    r = await upload('Dir/fits.txt', 'x'.repeat(10));
    assert.equal(r.status, 201);
    const drive = (await h.graphJson('/me/drive')).body;
    assert.equal(drive.quota.remaining, 0);
    assert.equal(drive.quota.state, 'exceeded');
    const src = (await h.graphJson('/me/drive/root:/Dir/fits.txt:')).body;
    const c = await h.graphJson(`/me/drive/items/${src.id}/copy`, { method: 'POST', ...json({ name: 'fits2.txt' }) });
    assert.equal(c.status, 507);
    // Replacing a file with one of the same size needs no extra room.
    assert.equal((await upload('Dir/fits.txt', 'y'.repeat(10))).status, 200);
  });
});
