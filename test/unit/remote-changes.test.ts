// Remote changes (a change feed's rounds) laid over the metadata cache by id and path, and the
// size bound of cached listings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataCache, entryBytes } from '../../src/vfs/metadata-cache.js';
import { placeChanges } from '../../src/vfs/change-placement.js';
import type { RemoteChange, RemoteEntry } from '../../src/drives/types.js';
import { fakeDrive } from './fake-tree-drive.js';

const entry = (id: string, name: string, isDir = false, size = 1): RemoteEntry => ({ id, name, isDir, size, mtimeMs: 1000, birthtimeMs: 1000, version: `v${size}` });
const item = (e: RemoteEntry, parentId: string): RemoteChange => ({ kind: 'item', entry: e, parentId });

async function seeded() {
  const tree: Record<string, RemoteEntry> = {
    '/': entry('R', 'root', true),
    '/a': entry('A', 'a', true),
    '/a/f': entry('F', 'f'),
    '/b': entry('B', 'b', true),
    '/b/g': entry('G', 'g'),
  };
  const { drive, calls } = fakeDrive(tree);
  const c = new MetadataCache(drive, { ttlMs: 600_000, negativeTtlMs: 600_000 });
  await c.list('/');
  await c.list('/a');
  await c.list('/b');
  return { c, calls, tree };
}

const names = async (c: MetadataCache, p: string) => (await c.list(p)).map((e) => e.name).sort();

test('new, changed, renamed, moved and deleted items land in the cached listings by id', async () => {
  const { c, calls, tree } = await seeded();
  await assert.rejects(c.lookup('/a/new'), { code: 'ENOENT' }); // remembered as missing
  delete tree['/b'];
  delete tree['/b/g'];
  const mark = c.changeMark();
  const applied = c.applyRemote(
    [
      item(entry('N', 'new', false, 3), 'A'),
      item(entry('F', 'f', false, 9), 'A'),
      item(entry('G', 'g2'), 'A'), // moved from /b and renamed
      { kind: 'deleted', id: 'B' },
      item(entry('X', 'elsewhere'), 'UNKNOWN'), // outside the mount
    ],
    mark,
  );
  assert.deepEqual(await names(c, '/a'), ['f', 'g2', 'new']);
  assert.equal((await c.lookup('/a/new')).size, 3, 'the negative entry gave way');
  assert.equal((await c.lookup('/a/f')).size, 9);
  assert.deepEqual(await names(c, '/'), ['a']);
  await assert.rejects(c.lookup('/b/g'), { code: 'ENOENT' });
  assert.equal(calls.list, 3, 'no listing asked again');
  assert.equal(applied.find((a) => a.id === 'X')?.entry, undefined);
  assert.equal(applied.find((a) => a.id === 'F')?.entry?.size, 9);
});

test('a round in any order with repeats: a new folder and its child, the last report winning', () => {
  const cached = new Map([['R', '/']]);
  const pl = placeChanges(
    [item(entry('C', 'child'), 'D'), item(entry('D', 'dir', true), 'R'), item(entry('C', 'child-renamed'), 'D'), item(entry('D', 'dir', true), 'R')],
    (id) => cached.get(id),
  );
  assert.deepEqual(
    pl.map((p) => [p.id, p.to]),
    [
      ['C', '/dir/child-renamed'],
      ['D', '/dir'],
    ],
  );
});

test('a folder moved away takes what was cached beneath it; changes made through the mount meanwhile win', async () => {
  const { c, calls, tree } = await seeded();
  tree['/a/moved'] = tree['/b'];
  tree['/a/moved/g'] = tree['/b/g'];
  const mark = c.changeMark();
  c.put('/a/f', entry('F', 'f', false, 42)); // written through the mount after the poll started
  c.applyRemote([item(entry('F', 'f', false, 7), 'A'), item(entry('B', 'moved', true), 'A')], mark);
  assert.equal((await c.lookup('/a/f')).size, 42);
  assert.deepEqual(await names(c, '/'), ['a']);
  assert.deepEqual(await names(c, '/a'), ['f', 'moved']);
  const before = calls.list;
  assert.deepEqual(await names(c, '/a/moved'), ['g']);
  assert.equal(calls.list, before + 1, 'the moved folder is listed at its new place');
});

test('paths kept locally (staged files) are left alone; clear() forgets everything', async () => {
  const { c, calls } = await seeded();
  c.applyRemote([item(entry('F', 'f', false, 7), 'A')], c.changeMark(), (p) => p === '/a/f');
  assert.equal((await c.lookup('/a/f')).size, 1);
  c.clear();
  const before = calls.list;
  await c.list('/a');
  assert.equal(calls.list, before + 1);
});

test('cached listings are bounded by approximate bytes, least recently used first', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('R', 'root', true) };
  for (let d = 0; d < 10; d++) {
    tree[`/d${d}`] = entry(`D${d}`, `d${d}`, true);
    for (let i = 0; i < 100; i++) tree[`/d${d}/f${i}`] = entry(`F${d}.${i}`, `f${i}`);
  }
  const { drive, calls } = fakeDrive(tree);
  const oneListing = 64 + 100 * entryBytes(entry('F0.00', 'f00'));
  const c = new MetadataCache(drive, { ttlMs: 600_000, negativeTtlMs: 1000, maxListingBytes: oneListing * 3.5 });
  for (let d = 0; d < 10; d++) await c.list(`/d${d}`);
  assert.ok(c.listingBytes <= oneListing * 3.5, `${c.listingBytes} bytes cached`);
  const before = calls.list;
  await c.list('/d9');
  assert.equal(calls.list, before, 'the most recent listing is kept');
  await c.list('/d0');
  assert.equal(calls.list, before + 1, 'the oldest was dropped');
});

test('a folder reported with a new version is listed again (its children may not explain every change)', async () => {
  const { c, calls, tree } = await seeded();
  delete tree['/a/f']; // made and removed between two polls: no report of its own
  c.put('/a/f', entry('F', 'f')); // as after a write through the mount
  c.applyRemote([item({ ...entry('A', 'a', true), version: 'changed' }, 'R')], c.changeMark());
  const before = calls.list;
  await assert.rejects(c.lookup('/a/f'), { code: 'ENOENT' });
  assert.deepEqual(await names(c, '/a'), []);
  assert.equal(calls.list, before + 1);
  c.applyRemote([item({ ...entry('A', 'a', true), version: 'changed' }, 'R')], c.changeMark());
  await c.list('/a');
  assert.equal(calls.list, before + 1, 'the same version again keeps the listing');
});

test('the mounted folder\'s own entry follows its reports; it is never dropped', async () => {
  const { c } = await seeded();
  await c.lookup('/');
  c.applyRemote([{ kind: 'item', entry: { ...entry('R', 'root', true), mtimeMs: 5000, version: 'new' } }], c.changeMark());
  assert.equal((await c.lookup('/')).mtimeMs, 5000);
  c.applyRemote([{ kind: 'deleted', id: 'R' }], c.changeMark());
  assert.equal((await c.lookup('/')).mtimeMs, 5000);
});
