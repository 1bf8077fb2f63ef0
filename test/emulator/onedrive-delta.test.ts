// Graph delta on the emulator: changes made behind its back in the backing folder (new,
// changed, renamed, moved, deleted) are reported; paging, duplicates, token=latest, 410 on
// expired tokens, and root-only delta on SharePoint.

import assert from 'node:assert/strict';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { type Harness, startHarness, tempDir } from './helpers.js';

interface Round {
  items: any[];
  deltaLink: string;
  pages: number;
}

describe('OneDrive emulator: delta', () => {
  let h: Harness;
  let siteDir: string;

  /** Follows nextLinks from `first` to the deltaLink. */
  async function round(first: string): Promise<Round> {
    const items: any[] = [];
    let pages = 0;
    let next: string | undefined = first;
    for (;;) {
      const url: string = next!.startsWith('http') ? next!.slice(h.emu.url.length + '/v1.0'.length) : next!;
      const { status, body } = await h.graphJson(url);
      assert.equal(status, 200, JSON.stringify(body));
      pages++;
      items.push(...body.value);
      if (body['@odata.deltaLink']) return { items, deltaLink: body['@odata.deltaLink'], pages };
      assert.ok(body['@odata.nextLink'], 'a page has a nextLink or a deltaLink');
      next = body['@odata.nextLink'];
    }
  }

  const byName = (items: any[], name: string): any[] => items.filter((i) => i.name === name);

  before(async () => {
    siteDir = await tempDir('drivemount-emu-delta-site-');
    await mkdir(path.join(siteDir, 'Lib'));
    h = await startHarness({ sites: { 'contoso.sharepoint.com,1,2': siteDir } }, async (root) => {
      await mkdir(path.join(root, 'A', 'B'), { recursive: true });
      await writeFile(path.join(root, 'A', 'one.txt'), '1');
      await writeFile(path.join(root, 'A', 'B', 'two.txt'), '22');
      await writeFile(path.join(root, 'gone.txt'), 'x');
      for (let i = 0; i < 30; i++) await writeFile(path.join(root, `f${i}.txt`), String(i));
    });
    h.dirs.push(siteDir);
  });
  after(async () => {
    await h.close();
  });

  it('a first round pages through every item, with duplicates, no paths and no links', async () => {
    const r = await round('/me/drive/root/delta?$top=10');
    assert.ok(r.pages >= 4, `paged (${r.pages} pages)`);
    const ids = new Set(r.items.map((i) => i.id));
    // root + A + B + one + two + gone + 30 files
    assert.equal(ids.size, 36);
    assert.ok(r.items.length > ids.size, 'some items appear twice');
    const root = r.items.find((i) => i.root);
    assert.ok(root, 'the root is part of the enumeration');
    for (const i of r.items) {
      assert.equal(i.parentReference?.path, undefined, 'delta items carry no parent path');
      assert.equal(i['@microsoft.graph.downloadUrl'], undefined, 'nor download links');
    }
    const two = byName(r.items, 'two.txt')[0];
    const b = byName(r.items, 'B')[0];
    assert.equal(two.parentReference.id, b.id);
    // Children come before their folders: an order a client must not rely on.
    assert.ok(r.items.findIndex((i) => i.id === two.id) < r.items.findIndex((i) => i.id === b.id));
  });

  it('token=latest gives only a deltaLink; later rounds report changes made behind its back', async () => {
    const { body } = await h.graphJson('/me/drive/root/delta?token=latest');
    assert.deepEqual(body.value, []);
    assert.equal(body['@odata.nextLink'], undefined);
    let link: string = body['@odata.deltaLink'];
    assert.match(link, /\/root\/delta\?token=/);

    const quiet = await round(link);
    assert.deepEqual(quiet.items, [], 'nothing changed, nothing reported');
    link = quiet.deltaLink;

    const before = await round('/me/drive/root/delta');
    const idOf = (name: string): string => byName(before.items, name)[0].id;
    await writeFile(path.join(h.root, 'A', 'new.txt'), 'new');
    await appendFile(path.join(h.root, 'A', 'one.txt'), 'more');
    await rename(path.join(h.root, 'A', 'B', 'two.txt'), path.join(h.root, 'two-moved.txt'));
    await rename(path.join(h.root, 'f1.txt'), path.join(h.root, 'f1-renamed.txt'));
    await rm(path.join(h.root, 'gone.txt'));

    const r = await round(link);
    const rootId = before.items.find((i) => i.root).id;
    const added = byName(r.items, 'new.txt');
    assert.equal(added.length, 1);
    assert.equal(added[0].parentReference.id, idOf('A'));
    const changed = r.items.find((i) => i.id === idOf('one.txt'));
    assert.equal(changed.size, 5);
    const moved = r.items.find((i) => i.id === idOf('two.txt'));
    assert.equal(moved.name, 'two-moved.txt');
    assert.equal(moved.parentReference.id, rootId);
    assert.equal(r.items.find((i) => i.id === idOf('f1.txt')).name, 'f1-renamed.txt');
    const deleted = r.items.find((i) => i.id === idOf('gone.txt'));
    assert.deepEqual(deleted.deleted, { state: 'deleted' });
    assert.equal(deleted.name, undefined, 'deleted items carry no name');
    assert.equal(r.items.find((i) => i.id === idOf('f2.txt')), undefined, 'unchanged items are not reported');

    const again = await round(r.deltaLink);
    assert.deepEqual(again.items, []);
  });

  it('an expired token (epoch changed) answers 410 resyncRequired; a fresh enumeration works', async () => {
    const { body } = await h.graphJson('/me/drive/root/delta?token=latest');
    const link: string = body['@odata.deltaLink'];
    const first = await h.graphJson('/me/drive/root/delta?$top=5');
    h.emu.setFaults({ deltaEpoch: 1 });
    try {
      const gone = await h.graphJson(link.slice(h.emu.url.length + 5));
      assert.equal(gone.status, 410);
      assert.equal(gone.body.error.code, 'resyncRequired');
      const page = await h.graphJson(first.body['@odata.nextLink'].slice(h.emu.url.length + 5));
      assert.equal(page.status, 410, 'page links of an old round expire too');
      const fresh = await round('/me/drive/root/delta');
      assert.ok(fresh.items.length > 30);
    } finally {
      h.emu.setFaults({ deltaEpoch: 0 });
    }
  });

  it('personal drives allow delta on a folder (scoped); SharePoint only on the root', async () => {
    const r = await round('/me/drive/root:/A:/delta');
    const names = new Set(r.items.map((i) => i.name));
    assert.ok(names.has('one.txt') && names.has('B') && names.has('A'));
    assert.ok(!names.has('f2.txt'));
    const site = await h.graphJson(`/sites/${encodeURIComponent('contoso.sharepoint.com,1,2')}/drive/root:/Lib:/delta`);
    assert.equal(site.status, 400);
    const siteRoot = await h.graphJson(`/sites/${encodeURIComponent('contoso.sharepoint.com,1,2')}/drive/root/delta`);
    assert.equal(siteRoot.status, 200);
  });
});
