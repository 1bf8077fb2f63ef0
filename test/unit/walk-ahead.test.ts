// Walk-ahead: listings fetched ahead of a program walking a tree, never for a single ls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WalkAhead } from '../../src/vfs/walk-ahead.js';
import type { RemoteEntry } from '../../src/drives/types.js';
import { Listing } from '../../src/vfs/listing.js';
import { silentLogger } from '../../src/util/log.js';

const dir = (name: string): RemoteEntry => ({ id: name, name, isDir: true, size: 0, mtimeMs: 0, birthtimeMs: 0 });

/** A tree of `fan` subfolders per folder, `depth` levels; counts listings and their overlap. */
function tree(fan: number, depth: number) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const list = async (p: string): Promise<Listing> => {
    calls.push(p);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    const level = p === '/' ? 0 : p.split('/').length - 1;
    return Listing.of(level >= depth ? [] : Array.from({ length: fan }, (_, i) => dir(`d${i}`)));
  };
  return { list, calls, maxInFlight: () => maxInFlight };
}

const settle = () => new Promise((r) => setTimeout(r, 200));

test('a single ls, or ls of the root then nothing, lists nothing ahead', async () => {
  const t = tree(3, 3);
  const w = new WalkAhead(t.list, silentLogger, { concurrency: 4, idleMs: 2000, lead: 256 });
  w.programListed('/', await t.list('/'));
  w.programListed('/d0/d1', await t.list('/d0/d1')); // its parent was never listed
  await settle();
  assert.deepEqual(t.calls, ['/', '/d0/d1']);
});

test('a walk (a folder listed after its parent) gets the rest of the tree listed ahead, a bounded number at once', async () => {
  const t = tree(3, 3); // 1 + 3 + 9 + 27 = 40 folders
  const w = new WalkAhead(t.list, silentLogger, { concurrency: 4, idleMs: 2000, lead: 256 });
  w.programListed('/', await t.list('/'));
  w.programListed('/d0', await t.list('/d0'));
  for (let i = 0; i < 40 && w.counters.fetched < 38; i++) await settle();
  assert.equal(new Set(t.calls).size, 40, 'every folder listed');
  assert.ok(t.maxInFlight() <= 4 + 1, `at most 4 ahead at once (saw ${t.maxInFlight()})`);
});

test('the crawl stops once the program stops listing', async () => {
  const t = tree(4, 4);
  const w = new WalkAhead(t.list, silentLogger, { concurrency: 1, idleMs: 30, lead: 256 });
  w.programListed('/', await t.list('/'));
  w.programListed('/d0', await t.list('/d0'));
  await settle();
  await settle();
  const n = t.calls.length;
  assert.ok(n < 1 + 4 + 16 + 64 + 256, `stopped early (${n} listings)`);
  await settle();
  assert.equal(t.calls.length, n, 'nothing more after the walk ended');
});
