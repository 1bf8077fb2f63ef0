// Listings in columns (src/vfs/listing.ts): every field of an entry survives the round trip,
// removals keep the rest intact across chunks, and the byte estimate follows what is held; the
// metadata cache bounds many listings by those bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Listing } from '../../src/vfs/listing.js';
import { MetadataCache } from '../../src/vfs/metadata-cache.js';
import type { Drive, RemoteEntry } from '../../src/drives/types.js';
import { DriveError } from '../../src/util/errors.js';
import { metadataOnly } from './fake-tree-drive.js';

/** An entry with every field set, varied by `i` so no two are alike. */
function full(i: number): RemoteEntry {
  return {
    id: `ID!${i}`,
    name: `file-${i}.txt`,
    isDir: i % 7 === 0,
    size: i * 1_000_003,
    mtimeMs: 1_700_000_000_123 + i,
    birthtimeMs: 1_600_000_000_456 + i,
    hashes: { quickXor: `qx${i}=`, sha1: `sha1-${i}`, sha256: `sha256-${i}` },
    version: `"c:{GUID-${i}},${i}"`,
    link: { url: `https://dl.example/${i}?sig=abc`, expiresAt: 1_800_000_000_000 + i, headers: { referer: `https://r.example/${i}` } },
    readOnly: true,
    sizeUnknown: true,
  };
}

test('every field of an entry survives the columns: all set, some set, none set', () => {
  const many = Array.from({ length: 3000 }, (_, i) => full(i)); // three chunks
  const sparse: RemoteEntry[] = [
    { id: 'a', name: 'bare', isDir: false, size: 0, mtimeMs: 0, birthtimeMs: 0 },
    { id: 'b', name: 'only-sha1', isDir: false, size: 5, mtimeMs: 1, birthtimeMs: 2, hashes: { sha1: 'abc' } },
    { id: 'c', name: 'only-version', isDir: true, size: 0, mtimeMs: 1, birthtimeMs: 2, version: 'v1' },
    { id: 'd', name: 'empty-hashes', isDir: false, size: 1, mtimeMs: 1, birthtimeMs: 1, hashes: {}, version: '' },
    { id: 'e', name: 'odd-version', isDir: false, size: 1, mtimeMs: 1, birthtimeMs: 1, version: 'has\u0000nul', hashes: { quickXor: 'x\u0000y' } },
    { id: 'f', name: 'link-no-headers', isDir: false, size: 1, mtimeMs: -5, birthtimeMs: 1.5, link: { url: 'https://x/y', expiresAt: 9 } },
  ];
  const l = Listing.of([...many, ...sparse]);
  assert.equal(l.size, many.length + sparse.length);
  for (const e of [...many, ...sparse]) assert.deepStrictEqual(l.get(e.name), e, e.name);
  // The link is the driver's own object (it knows its links by identity).
  assert.equal(l.get('file-5.txt')!.link, many[5]!.link);
  assert.equal(l.idOf('file-2999.txt'), 'ID!2999');
  assert.equal(l.get('nope'), undefined);
  assert.deepEqual(new Set(l.names()), new Set([...many, ...sparse].map((e) => e.name)));
  const dirs = l.names().filter((_, s) => l.isDirAt(s));
  assert.deepEqual(new Set(dirs), new Set([...many, ...sparse].filter((e) => e.isDir).map((e) => e.name)));
});

test('the name the folder shows wins over the entry\'s own; setting a name again replaces it', () => {
  const l = new Listing();
  l.set('Shown.txt', { ...full(1), name: 'shown.txt' });
  assert.equal(l.get('Shown.txt')!.name, 'Shown.txt');
  l.set('Shown.txt', full(2));
  assert.equal(l.size, 1);
  assert.deepStrictEqual(l.get('Shown.txt'), { ...full(2), name: 'Shown.txt' });
  assert.equal(l.slotOfId('ID!1'), undefined);
  assert.equal(l.nameAt(l.slotOfId('ID!2')!), 'Shown.txt');
});

test('removals keep every other entry intact across chunks, and ids still find their slots', () => {
  const all = Array.from({ length: 2600 }, (_, i) => full(i));
  const l = Listing.of(all);
  assert.equal(l.nameAt(l.slotOfId('ID!100')!), 'file-100.txt'); // builds the id index before removals
  const kept = all.filter((_, i) => i % 3 !== 0);
  for (let i = 0; i < all.length; i += 3) assert.equal(l.delete(all[i]!.name), true);
  assert.equal(l.delete('file-0.txt'), false);
  assert.equal(l.size, kept.length);
  for (const e of kept) {
    assert.deepStrictEqual(l.get(e.name), e);
    assert.equal(l.nameAt(l.slotOfId(e.id)!), e.name);
  }
  for (let i = 0; i < all.length; i += 3) assert.equal(l.slotOfId(all[i]!.id), undefined);
  assert.deepEqual(new Set(l.names()), new Set(kept.map((e) => e.name)));
  for (const e of kept) l.delete(e.name);
  assert.equal(l.size, 0);
  assert.deepEqual(l.names(), []);
  l.set('again', full(1));
  assert.deepStrictEqual(l.get('again'), { ...full(1), name: 'again' });
});

test('dropLinks forgets the links held and takes none from then on, keeping everything else', () => {
  const l = Listing.of([full(1), full(2)]);
  const withLinks = l.bytes;
  l.dropLinks();
  assert.ok(l.bytes < withLinks);
  l.set(full(3).name, full(3));
  for (const i of [1, 2, 3]) {
    const { link, ...rest } = full(i);
    assert.ok(link);
    assert.deepStrictEqual(l.get(`file-${i}.txt`), rest);
  }
});

test('the byte estimate grows with every entry, by its strings, and falls back as they go', () => {
  const l = new Listing();
  const empty = l.bytes;
  let last = empty;
  for (let i = 0; i < 5000; i++) {
    const { link: _link, ...e } = full(i);
    l.set(e.name, e);
    assert.ok(l.bytes > last, `entry ${i} added nothing`);
    last = l.bytes;
  }
  const per = (l.bytes - empty) / 5000;
  // Strings of ~50 characters plus slot overhead: more than the characters alone, far less than an object graph.
  assert.ok(per > 100 && per < 400, `${per} bytes per entry`);
  const longer = new Listing();
  longer.set('x', { ...full(1), link: undefined, version: 'v'.repeat(1000) });
  const shorter = new Listing();
  shorter.set('x', { ...full(1), link: undefined, version: 'v' });
  assert.ok(longer.bytes - shorter.bytes >= 999);
  for (let i = 0; i < 5000; i++) l.delete(`file-${i}.txt`);
  assert.equal(l.bytes, empty);
});

/** A drive of `folders` folders under the root with `per` files each, made up on demand (no tree held). */
function syntheticDrive(folders: number, per: number) {
  const calls = { list: 0 };
  const dirEntry = (d: number): RemoteEntry => ({ id: `D${d}`, name: `d${d}`, isDir: true, size: 0, mtimeMs: 1, birthtimeMs: 1, version: `"c:{D${d}},1"` });
  const fileEntry = (d: number, i: number): RemoteEntry => ({
    id: `F${d}.${i}`,
    name: `file-${String(i).padStart(6, '0')}.txt`,
    isDir: false,
    size: i,
    mtimeMs: 1_700_000_000_000,
    birthtimeMs: 1_700_000_000_000,
    version: `"c:{01234567-89AB-CDEF-0123-${String(d * per + i).padStart(12, '0')}},1"`,
    hashes: { quickXor: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
  });
  const drive = {
    name: 'synthetic',
    capabilities: { caseInsensitive: false, linksInListing: false, pathLookup: true },
    async connect() {},
    async stat(p: string) {
      if (p === '/') return { ...dirEntry(-1), id: 'ROOT', name: 'root' };
      const d = /^\/d(\d+)$/.exec(p);
      if (d && Number(d[1]) < folders) return dirEntry(Number(d[1]));
      throw new DriveError('ENOENT', p);
    },
    async list(p: string): Promise<RemoteEntry[]> {
      calls.list++;
      if (p === '/') return Array.from({ length: folders }, (_, d) => dirEntry(d));
      const d = Number(/^\/d(\d+)$/.exec(p)![1]);
      return Array.from({ length: per }, (_, i) => fileEntry(d, i));
    },
    // Pages of 1,000, as Graph sends them.
    async *listPages(p: string): AsyncGenerator<RemoteEntry[]> {
      const all = await drive.list(p);
      for (let i = 0; i < all.length; i += 1000) yield all.slice(i, i + 1000);
    },
    ...metadataOnly,
  } satisfies Drive;
  return { drive, calls };
}

test('1,000,000 entries across 1,000 folders stay within the byte bound, least recently used going first', async () => {
  const bound = 16 << 20;
  const { drive, calls } = syntheticDrive(1000, 1000);
  const c = new MetadataCache(drive, { ttlMs: 600_000, negativeTtlMs: 1000, maxListingBytes: bound });
  let listed = 0;
  let peak = 0;
  for (let d = 0; d < 1000; d++) {
    listed += (await c.listing(`/d${d}`)).size;
    peak = Math.max(peak, c.listingBytes);
  }
  assert.equal(listed, 1_000_000);
  assert.ok(peak <= bound, `${peak} bytes cached at most, bound ${bound}`);
  const held = c.listedEntries;
  assert.ok(held < 200_000 && held > 30_000, `${held} entries held`);
  // The most recent folders are still cached (answered without a call), the first ones are not.
  const before = calls.list;
  assert.equal((await c.lookup('/d999/file-000123.txt')).size, 123);
  await c.listing('/d998');
  assert.equal(calls.list, before, 'the latest listings were kept');
  await c.listing('/d0');
  assert.equal(calls.list, before + 1, 'the oldest listing was dropped');
});

test('a listing growing through changes is measured again, and evicts others to stay in the bound', async () => {
  const { drive, calls } = syntheticDrive(4, 1500);
  const c = new MetadataCache(drive, { ttlMs: 600_000, negativeTtlMs: 1000, maxListingBytes: 1 << 20 });
  await c.listing('/');
  await c.listing('/d0');
  await c.listing('/d1');
  const before = c.listingBytes;
  for (let i = 0; i < 200; i++) c.put(`/d1/new-${i}`, { id: `N${i}`, name: `new-${i}`, isDir: false, size: 1, mtimeMs: 1, birthtimeMs: 1 });
  assert.ok(c.listingBytes > before, 'the added entries count');
  for (let i = 0; i < 200; i++) c.remove(`/d1/new-${i}`);
  assert.equal(c.listingBytes, before, 'and their removal too');
  // Grown past the bound, the other listings give way.
  for (let i = 0; i < 1000; i++) c.put(`/d0/many-${i}`, { id: `M${i}`, name: `many-${i}`, isDir: false, size: 1, mtimeMs: 1, birthtimeMs: 1, version: 'x'.repeat(40) });
  assert.ok(c.listingBytes <= 1 << 20, `${c.listingBytes} bytes`);
  const before2 = calls.list;
  assert.equal((await c.listing('/d0')).size, 1000 + 1500, 'the listing that grew is still held, whole');
  assert.equal(calls.list, before2, 'without a call');
  await c.listing('/');
  await c.listing('/d1');
  assert.ok(calls.list > before2, 'an older listing gave way');
});
