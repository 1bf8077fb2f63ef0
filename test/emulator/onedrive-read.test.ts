// Graph read operations: drive, items by path and id, listings with paging,
// $select, case-insensitive paths, ids, hashes and SharePoint site drives.

import assert from 'node:assert/strict';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { QuickXorHash } from '../../src/hash/quickxorhash.js';
import { type Harness, startHarness, tempDir } from './helpers.js';

const enc = (p: string): string => p.split('/').map(encodeURIComponent).join('/');

describe('OneDrive emulator: reading', () => {
  let h: Harness;
  let siteDir: string;
  const hello = Buffer.from('hello world\n');

  before(async () => {
    siteDir = await tempDir('drivemount-emu-site-');
    await writeFile(path.join(siteDir, 'Report.docx'), 'site content');
    h = await startHarness({ sites: { 'contoso.sharepoint.com,1111,2222': siteDir } }, async (root) => {
      await mkdir(path.join(root, 'Docs', 'Sub Folder'), { recursive: true });
      await writeFile(path.join(root, 'Docs', 'Hello.txt'), hello);
      await writeFile(path.join(root, 'Docs', 'Sub Folder', 'a #b %c ü.bin'), Buffer.alloc(1000, 1));
      await mkdir(path.join(root, 'Many'));
      await Promise.all(
        Array.from({ length: 2500 }, (_, i) => writeFile(path.join(root, 'Many', `f${String(i).padStart(5, '0')}.txt`), String(i))),
      );
      await writeFile(path.join(root, 'target.txt'), 'x');
      await symlink(path.join(root, 'target.txt'), path.join(root, 'link.txt'));
    });
    h.dirs.push(siteDir);
  });
  after(async () => {
    await h.close();
  });

  it('GET /me/drive returns the drive with its quota', async () => {
    const { status, body } = await h.graphJson('/me/drive');
    assert.equal(status, 200);
    assert.equal(body.id, h.emu.driveId);
    assert.equal(body.driveType, 'personal');
    assert.ok(body.owner.user);
    assert.equal(body.quota.total, 1024 ** 4);
    assert.equal(body.quota.deleted, 0);
    assert.equal(body.quota.state, 'normal');
    assert.ok(body.quota.used >= hello.length + 1000 + 2500);
    assert.equal(body.quota.remaining, body.quota.total - body.quota.used);
    assert.equal(h.emu.stats().drive, 1);
    // Same drive by id.
    const byId = await h.graphJson(`/drives/${h.emu.driveId}`);
    assert.equal(byId.body.id, h.emu.driveId);
  });

  it('GET root: name "root", root facet, folder childCount, no parent path', async () => {
    const { status, body } = await h.graphJson('/me/drive/root');
    assert.equal(status, 200);
    assert.equal(body.name, 'root');
    assert.deepEqual(body.root, {});
    assert.equal(body.folder.childCount, 3); // Docs, Many, target.txt (the symlink is not exposed)
    assert.equal(body.parentReference.driveId, h.emu.driveId);
    assert.equal(body.parentReference.path, undefined);
    assert.equal((await h.graphJson('/me/drive/items/root')).body.id, body.id);
  });

  it('resolves paths case-insensitively and preserves case', async () => {
    for (const p of ['/me/drive/root:/Docs/Hello.txt:', '/me/drive/root:/docs/HELLO.TXT:', '/me/drive/root:/dOcS/hello.txt']) {
      const { status, body } = await h.graphJson(p);
      assert.equal(status, 200, p);
      assert.equal(body.name, 'Hello.txt');
      assert.equal(body.size, hello.length);
    }
    const miss = await h.graphJson('/me/drive/root:/Docs/nope.txt:');
    assert.equal(miss.status, 404);
    assert.equal(miss.body.error.code, 'itemNotFound');
    assert.equal(typeof miss.body.error.message, 'string');
  });

  it('renders file items like Graph (hash, download URL, parentReference, times)', async () => {
    const { body } = await h.graphJson('/me/drive/root:/Docs/Hello.txt:');
    const docs = (await h.graphJson('/me/drive/root:/Docs:')).body;
    assert.equal(body.file.mimeType, 'text/plain');
    assert.equal(body.file.hashes.quickXorHash, QuickXorHash.of(hello));
    assert.match(body['@microsoft.graph.downloadUrl'], /^http:\/\/127\.0\.0\.1:\d+\//);
    assert.deepEqual(
      { driveId: body.parentReference.driveId, id: body.parentReference.id, path: body.parentReference.path },
      { driveId: h.emu.driveId, id: docs.id, path: '/drive/root:/Docs' },
    );
    assert.equal(body.parentReference.driveType, 'personal');
    assert.match(body.lastModifiedDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(body.fileSystemInfo.lastModifiedDateTime, body.lastModifiedDateTime);
    assert.ok(body.eTag && body.cTag && body.createdDateTime);
    assert.equal(body.folder, undefined);
    assert.equal(docs.folder.childCount, 2);
    assert.equal(docs.file, undefined);
    assert.equal(docs['@microsoft.graph.downloadUrl'], undefined);
  });

  it('decodes percent-encoded segments and percent-encodes parentReference.path', async () => {
    const p = 'Docs/Sub Folder/a #b %c ü.bin';
    const { status, body } = await h.graphJson(`/me/drive/root:/${enc(p)}:`);
    assert.equal(status, 200);
    assert.equal(body.name, 'a #b %c ü.bin');
    assert.equal(body.parentReference.path, '/drive/root:/Docs/Sub%20Folder');
    const kids = await h.graphJson(`/me/drive/root:/${enc('docs/sub folder')}:/children`);
    assert.deepEqual(kids.body.value.map((v: { name: string }) => v.name), ['a #b %c ü.bin']);
  });

  it('addresses items by id, including a path relative to an id', async () => {
    const docs = (await h.graphJson('/me/drive/root:/Docs:')).body;
    const byId = await h.graphJson(`/me/drive/items/${encodeURIComponent(docs.id)}`);
    assert.equal(byId.body.name, 'Docs');
    const rel = await h.graphJson(`/me/drive/items/${encodeURIComponent(docs.id)}:/hello.txt:`);
    assert.equal(rel.body.name, 'Hello.txt');
    const kids = await h.graphJson(`/drives/${h.emu.driveId}/items/${docs.id}/children`);
    assert.equal(kids.body.value.length, 2);
    const none = await h.graphJson('/me/drive/items/NOPE!123');
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, 'itemNotFound');
  });

  it('keeps ids stable across renames and moves made on disk', async () => {
    await writeFile(path.join(h.root, 'moveme.txt'), 'm');
    const before = (await h.graphJson('/me/drive/root:/moveme.txt:')).body;
    await rename(path.join(h.root, 'moveme.txt'), path.join(h.root, 'Docs', 'moved.txt'));
    const after = await h.graphJson(`/me/drive/items/${before.id}`);
    assert.equal(after.status, 200);
    assert.equal(after.body.name, 'moved.txt');
    assert.equal(after.body.parentReference.path, '/drive/root:/Docs');
    assert.notEqual(after.body.eTag, before.eTag, 'eTag changes on move');
    assert.equal(after.body.cTag, before.cTag, 'cTag is about content only');
    // A deleted item's id is gone, even if a new file takes its place.
    await rm(path.join(h.root, 'Docs', 'moved.txt'));
    await writeFile(path.join(h.root, 'Docs', 'moved.txt'), 'm');
    assert.equal((await h.graphJson(`/me/drive/items/${before.id}`)).status, 404);
  });

  it('pages 2,500 children with $top=1000 through absolute nextLinks', async () => {
    h.emu.resetStats();
    const names: string[] = [];
    let url: string | undefined = `${h.emu.url}/v1.0/me/drive/root:/Many:/children?$top=1000`;
    const sizes: number[] = [];
    while (url) {
      const res: Response = await fetch(url, { headers: { authorization: `Bearer ${h.accessToken}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { value: Array<{ name: string; file: unknown }>; '@odata.nextLink'?: string };
      sizes.push(body.value.length);
      for (const v of body.value) names.push(v.name);
      url = body['@odata.nextLink'];
      if (url) {
        assert.ok(url.startsWith(`${h.emu.url}/v1.0/`), url);
        assert.match(url, /[?&]\$skiptoken=/);
        assert.match(url, /[?&]\$top=1000/);
      }
    }
    assert.deepEqual(sizes, [1000, 1000, 500]);
    const expected = Array.from({ length: 2500 }, (_, i) => `f${String(i).padStart(5, '0')}.txt`);
    assert.deepEqual(names, expected);
    const s = h.emu.stats();
    assert.equal(s.children, 3);
    assert.equal(s.api, 3);
  });

  it('uses a default page of 200, caps $top at 1000 and refuses a bad $top', async () => {
    const page = await h.graphJson('/me/drive/root:/Many:/children');
    assert.equal(page.body.value.length, 200);
    assert.ok(page.body['@odata.nextLink']);
    const big = await h.graphJson('/me/drive/root:/Many:/children?$top=5000&$select=name');
    assert.equal(big.body.value.length, 1000);
    assert.equal((await h.graphJson('/me/drive/root:/Many:/children?$top=abc')).status, 400);
  });

  it('honours $select (on items and in nextLinks) and refuses unknown properties', async () => {
    const page = await h.graphJson('/me/drive/root:/Many:/children?$top=2&$select=id,name');
    assert.deepEqual(Object.keys(page.body.value[0]).sort(), ['id', 'name']);
    const next = await fetch(page.body['@odata.nextLink'], { headers: { authorization: `Bearer ${h.accessToken}` } });
    const nb = (await next.json()) as { value: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(nb.value[0]).sort(), ['id', 'name']);
    assert.equal(nb.value[0].name, 'f00002.txt');
    const item = await h.graphJson('/me/drive/root:/Docs/Hello.txt:?select=name,size,@microsoft.graph.downloadUrl');
    assert.deepEqual(Object.keys(item.body).filter((k) => k !== '@odata.context').sort(), ['@microsoft.graph.downloadUrl', 'name', 'size']);
    const bad = await h.graphJson('/me/drive/root?$select=bogus');
    assert.equal(bad.status, 400);
  });

  it("refuses listing a file's children like Graph (422 getChildrenOnNonFolder)", async () => {
    const r = await h.graphJson('/me/drive/root:/Docs/Hello.txt:/children');
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'notSupported');
    assert.equal(r.body.error.innerError.code, 'getChildrenOnNonFolder');
  });

  it('answers unknown routes and methods with Graph-shaped errors', async () => {
    const r = await h.graphJson('/me/drive/bogus');
    assert.equal(r.status, 400);
    assert.ok(r.body.error.code);
    const d = await h.graphJson('/drives/nope/root');
    assert.equal(d.status, 404);
    assert.equal(d.body.error.code, 'itemNotFound');
  });

  it('serves SharePoint sites as separate document libraries', async () => {
    const siteId = 'contoso.sharepoint.com,1111,2222';
    const drive = await h.graphJson(`/sites/${encodeURIComponent(siteId)}/drive`);
    assert.equal(drive.status, 200);
    assert.equal(drive.body.driveType, 'documentLibrary');
    assert.notEqual(drive.body.id, h.emu.driveId);
    const kids = await h.graphJson(`/drives/${drive.body.id}/root/children`);
    assert.deepEqual(kids.body.value.map((v: { name: string }) => v.name), ['Report.docx']);
    const f = kids.body.value[0];
    assert.equal(f.parentReference.driveType, 'documentLibrary');
    assert.equal(f.parentReference.path, `/drives/${drive.body.id}/root:`);
    // Items are per drive: the site's item id is unknown on /me/drive.
    assert.equal((await h.graphJson(`/me/drive/items/${f.id}`)).status, 404);
    assert.equal((await h.graphJson(`/sites/${encodeURIComponent(siteId)}/drive/items/${f.id}`)).status, 200);
    assert.equal((await h.graphJson('/sites/unknown/drive')).status, 404);
  });
});
