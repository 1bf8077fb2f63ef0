import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LISTED_LINKS, MetadataCache } from '../../src/vfs/metadata-cache.js';
import type { Drive, RemoteEntry } from '../../src/drives/types.js';
import { DriveError } from '../../src/util/errors.js';
import { fakeDrive } from './fake-tree-drive.js';

function entry(name: string, isDir = false, mtimeMs = 1000): RemoteEntry {
  return { id: name, name, isDir, size: isDir ? 0 : 1, mtimeMs, birthtimeMs: mtimeMs };
}


test('a listing answers lookups of its children; stale folders are re-read once, the root included', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('root', true), '/d': entry('d', true), '/d/f': entry('f'), '/g': entry('g') };
  const { drive, calls } = fakeDrive(tree);
  const c = new MetadataCache(drive, { ttlMs: 60_000, negativeTtlMs: 1000 });
  assert.deepEqual((await c.list('/')).map((e) => e.name).sort(), ['d', 'g']);
  await c.lookup('/d');
  await c.lookup('/g');
  await assert.rejects(c.lookup('/nope'), { code: 'ENOENT' });
  assert.equal(calls.stat, 1); // the root, to list it
  // A file was added in /d and one at the top: both folders' own times may have changed.
  tree['/d'] = entry('d', true, 5000);
  tree['/'] = entry('root', true, 6000);
  c.put('/d/new', entry('new'));
  c.childChanged('/d/new');
  c.childChanged('/g');
  assert.equal((await c.lookup('/d')).mtimeMs, 5000);
  assert.equal((await c.lookup('/')).mtimeMs, 6000);
  await c.lookup('/d');
  assert.equal(calls.stat, 3, 'a stale folder was re-read more than once');
  // The root's own entry never lands in a listing.
  assert.deepEqual((await c.list('/')).map((e) => e.name).sort(), ['d', 'g']);
});

test('without lookup by path, a lookup lists the parent once and answers its siblings from that listing', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('root', true), '/d': entry('d', true), '/d/a': entry('a'), '/d/b': entry('b') };
  const { drive, calls } = fakeDrive(tree, false);
  const c = new MetadataCache(drive, { ttlMs: 60_000, negativeTtlMs: 1000 });
  assert.equal((await c.lookup('/d/a')).name, 'a');
  assert.equal((await c.lookup('/d/b')).name, 'b');
  await assert.rejects(c.lookup('/d/zzz'), { code: 'ENOENT' });
  assert.equal(calls.list, 2, 'the root and /d, once each');
  assert.equal(calls.stat, 1, 'only the root is looked up directly');
});

/** fakeDrive whose `slow` call answers with the tree as it was when called, once `open()` is called. */
function slowDrive(tree: Record<string, RemoteEntry>, slowCall: 'list' | 'stat') {
  const { drive, calls } = fakeDrive(tree);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const slow = {
    ...drive,
    async list(p: string) {
      const answer = await drive.list(p);
      if (slowCall === 'list') await gate;
      return answer;
    },
    async stat(p: string) {
      const answer = await drive.stat(p).catch((e: unknown) => e);
      if (slowCall === 'stat') await gate;
      if (answer instanceof Error) throw answer;
      return answer as RemoteEntry;
    },
  } satisfies Drive;
  return { drive: slow, calls, open };
}

test('a listing answered before a change made through the mount does not put the old state back', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('root', true), '/a': entry('a', false, 1000), '/b': entry('b') };
  const { drive, open } = slowDrive(tree, 'list');
  const c = new MetadataCache(drive, { ttlMs: 60_000, negativeTtlMs: 1000 });
  await c.lookup('/');
  const listing = c.list('/');
  await new Promise((r) => setImmediate(r)); // the service has answered; the answer is on its way
  c.put('/a', entry('a', false, 5000)); // e.g. a utimens answered while the listing travelled
  c.remove('/b');
  c.put('/new', entry('new'));
  open();
  const names = (await listing).map((e) => e.name).sort();
  assert.deepEqual(names, ['a', 'new']);
  assert.equal((await c.lookup('/a')).mtimeMs, 5000);
  await assert.rejects(c.lookup('/b'), (e: unknown) => e instanceof DriveError && e.code === 'ENOENT');
});

test('a stat answered before a change made through the mount does not overwrite it', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('root', true), '/a': entry('a', false, 1000) };
  const { drive, open } = slowDrive(tree, 'stat');
  const c = new MetadataCache(drive, { ttlMs: 60_000, negativeTtlMs: 1000 });
  const stat = c.lookup('/a');
  await new Promise((r) => setImmediate(r));
  c.put('/a', entry('a', false, 5000));
  open();
  assert.equal((await stat).mtimeMs, 5000);
  assert.equal((await c.lookup('/a')).mtimeMs, 5000);
});

test('a dir cache time of 0 keeps nothing (lru-cache would read ttl 0 as forever)', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('root', true), '/a': entry('a') };
  const { drive, calls } = fakeDrive(tree);
  const c = new MetadataCache(drive, { ttlMs: 0, negativeTtlMs: 1000 });
  await c.list('/');
  await new Promise((r) => setTimeout(r, 5));
  await c.list('/');
  assert.equal(calls.list, 2);
});

test('a size learnt after the file was removed through the mount does not bring it back', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('root', true), '/live.jpg': { ...entry('live.jpg'), size: 0, sizeUnknown: true } };
  const { drive } = fakeDrive(tree, false);
  let learn!: () => void;
  const learning = new Promise<void>((r) => (learn = r));
  const withSizes = {
    ...drive,
    async learnSize(_p: string, e: RemoteEntry) {
      await learning;
      return { ...e, size: 1234, sizeUnknown: false };
    },
  } satisfies Drive;
  const c = new MetadataCache(withSizes, { ttlMs: 60_000, negativeTtlMs: 60_000 });
  const stat = c.lookup('/live.jpg');
  await new Promise((r) => setImmediate(r));
  c.remove('/live.jpg');
  learn();
  await assert.rejects(stat, (e: unknown) => e instanceof DriveError && e.code === 'ENOENT');
  await assert.rejects(c.lookup('/live.jpg'), (e: unknown) => e instanceof DriveError && e.code === 'ENOENT');
});

test('a folder of more entries than MAX_LISTED_LINKS keeps no download links; a smaller one keeps them', async () => {
  const tree: Record<string, RemoteEntry> = { '/': entry('root', true), '/small': entry('small', true), '/big': entry('big', true) };
  const link = (n: string) => ({ url: `https://dl.example/${n}`, expiresAt: Date.now() + 60_000 });
  tree['/small/a'] = { ...entry('a'), id: 's-a', link: link('a') };
  for (let i = 0; i <= MAX_LISTED_LINKS; i++) tree[`/big/f${i}`] = { ...entry(`f${i}`), id: `b-${i}`, link: link(`f${i}`) };
  const { drive } = fakeDrive(tree);
  const c = new MetadataCache(drive, { ttlMs: 60_000, negativeTtlMs: 1000 });
  assert.equal((await c.lookup('/small/a')).link?.url, 'https://dl.example/a');
  const big = await c.list('/big');
  assert.equal(big.length, MAX_LISTED_LINKS + 1);
  assert.equal(big.filter((e) => e.link !== undefined).length, 0);
  assert.equal((await c.lookup('/big/f0')).link, undefined);
});
