// The Aliyundrive driver against its emulator, where cost and safety show in the emulator's call
// counts: bounded memory that falls back to lookups, folder attributes after a commit without a
// listing, live photos listed without download-link calls, renames that lose nothing.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';

import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { AliyundriveDrive, type AliyundriveLimits } from '../../src/drives/aliyundrive/open/aliyundrive-drive.js';
import { parseAliyundriveConfig } from '../../src/drives/aliyundrive/open/config.js';
import type { RemoteEntry } from '../../src/drives/types.js';
import { type AliHarness, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';
import type { AliyundriveFaults } from '../../src/emulators/aliyundrive/settings.js';
import { remoteSettingsFor } from '../../src/emulators/emulator-process.js';
import { HttpClient } from '../../src/http/client.js';
import { silentLogger } from '../../src/util/log.js';
import { MetadataCache } from '../../src/vfs/metadata-cache.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(seed: (root: string) => Promise<void>, o: { limits?: AliyundriveLimits; faults?: Partial<AliyundriveFaults> } = {}) {
  const h: AliHarness = await startAliHarness({ faults: o.faults }, seed);
  const http = new HttpClient({ logger: silentLogger });
  const e = h.emu;
  const settings = remoteSettingsFor('aliyundrive', { url: e.url, port: e.port, clientId: e.clientId, clientSecret: e.clientSecret, refreshToken: h.refreshToken });
  const drive = new AliyundriveDrive('t', parseAliyundriveConfig('t', settings), { http, store: memoryRefreshTokenStore(h.refreshToken), log: silentLogger }, o.limits);
  await drive.connect();
  cleanups.push(async () => {
    await http.close();
    await h.close();
  });
  h.emu.resetStats();
  return { h, drive, stats: () => h.emu.stats() };
}

const bytes = (b: Buffer) => ({ size: b.length, read: async (o: number, l: number) => b.subarray(o, o + l) });

async function readAll(drive: AliyundriveDrive, p: string, e: RemoteEntry): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of drive.readRange(p, e, 0, e.size)) parts.push(piece);
  return Buffer.concat(parts);
}

test('folder ids are bounded; a forgotten one is found again by listing, never confused with another', async () => {
  const { drive, stats } = await setup(
    async (root) => {
      for (let i = 0; i < 6; i++) {
        await mkdir(path.join(root, `d${i}`));
        await writeFile(path.join(root, `d${i}`, `in-d${i}.txt`), `${i}`);
      }
    },
    { limits: { folderIds: 2 } },
  );
  await drive.list('/'); // learns six folder ids, keeps two
  for (let i = 0; i < 6; i++) {
    const names = (await drive.list(`/d${i}`)).map((e) => e.name);
    assert.deepEqual(names, [`in-d${i}.txt`]);
  }
  // The first folders were forgotten: each needed a listing of the root to be found again.
  assert.ok(stats().list > 1 + 6, JSON.stringify(stats()));
  const up = await drive.writer.upload('/d0/new.txt', bytes(Buffer.from('n')), {});
  assert.equal(up.name, 'new.txt');
  assert.deepEqual((await drive.list('/d0')).map((e) => e.name).sort(), ['in-d0.txt', 'new.txt']);
});

test('a commit in a folder: its attributes come again from one get, not a listing of its parent', async () => {
  const { drive, stats } = await setup(async (root) => {
    await mkdir(path.join(root, 'a', 'b'), { recursive: true });
    for (let i = 0; i < 30; i++) await writeFile(path.join(root, 'a', `sibling${i}.txt`), 's');
  });
  const cache = new MetadataCache(drive, { ttlMs: 60_000, negativeTtlMs: 1000 });
  await cache.list('/a/b');
  const before = stats();
  // What the committer does after each upload (cp -r into a/b): record the file, mark a/b stale.
  for (let i = 0; i < 5; i++) {
    const p = `/a/b/f${i}.txt`;
    cache.put(p, await drive.writer.upload(p, bytes(Buffer.from(`${i}`)), {}));
    cache.childChanged(p);
    const b = await cache.lookup('/a/b');
    assert.equal(b.isDir, true);
    assert.equal(b.name, 'b');
  }
  const s = stats();
  assert.equal(s.list - before.list, 0, `listings of a/b's parent per commit: ${JSON.stringify(s)}`);
  assert.ok(s.get - before.get <= 5, JSON.stringify(s));
});

test('a folder stat by id falls back to a listing when the folder moved or went away elsewhere', async () => {
  const { h, drive } = await setup(async (root) => {
    await mkdir(path.join(root, 'x'));
    await mkdir(path.join(root, 'y'));
  });
  await drive.list('/');
  // Another client moves x into y: the path /x no longer names it.
  const x = (await drive.stat('/x')).id;
  const y = (await drive.stat('/y')).id;
  const r = await h.api('openFile/move', { drive_id: h.emu.driveIds.resource, file_id: x, to_parent_file_id: y, check_name_mode: 'refuse' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await assert.rejects(drive.stat('/x'), { code: 'ENOENT' });
  await mkdir(path.join(h.root, 'x'));
  const fresh = await drive.stat('/x');
  assert.notEqual(fresh.id, x, 'the old folder id answered for a new folder of that name');
});

test('live photos are listed without download-link calls; their size is learnt on lookup and matches the read', async () => {
  const jpegs = Array.from({ length: 6 }, (_, i) => randomBytes(10_000 + i * 1000));
  const { drive, stats } = await setup(
    async (root) => {
      await mkdir(path.join(root, 'photos'));
      for (let i = 0; i < jpegs.length; i++) {
        const dir = path.join(root, 'photos', `IMG_${i}.livp`);
        await mkdir(dir);
        await writeFile(path.join(dir, `IMG_${i}.jpeg`), jpegs[i]!);
        await writeFile(path.join(dir, `IMG_${i}.mov`), randomBytes(50_000));
      }
    },
    { faults: { enforceRateLimits: true } }, // getDownloadUrl 1/s: a listing that asked would be refused or slow
  );
  const cache = new MetadataCache(drive, { ttlMs: 60_000, negativeTtlMs: 1000 });
  const listed = await cache.list('/photos');
  assert.deepEqual(listed.map((e) => e.name), jpegs.map((_, i) => `IMG_${i}.jpeg`));
  assert.equal(stats().getDownloadUrl, 0, 'the listing asked for download links');
  assert.ok(listed.every((e) => e.sizeUnknown && e.readOnly));
  // stat (lookup) learns the size with one link; the read that follows reuses that link.
  const e = await cache.lookup('/photos/IMG_2.jpeg');
  assert.equal(e.sizeUnknown, undefined);
  assert.equal(e.size, jpegs[2]!.length);
  assert.equal(stats().getDownloadUrl, 1);
  assert.ok((await readAll(drive, '/photos/IMG_2.jpeg', e)).equals(jpegs[2]!));
  assert.equal(stats().getDownloadUrl, 1, 'the read asked for another link');
  // Known from now on: a second lookup and a fresh listing cost no link.
  assert.equal((await cache.lookup('/photos/IMG_2.jpeg')).size, jpegs[2]!.length);
  const again = (await drive.list('/photos')).find((x) => x.name === 'IMG_2.jpeg')!;
  assert.equal(again.size, jpegs[2]!.length);
  assert.equal(again.sizeUnknown, undefined);
  assert.equal(stats().getDownloadUrl, 1);
});

test('rename onto an existing file replaces it; when the move fails, the target is kept', async () => {
  const { h, drive } = await setup(async (root) => {
    await mkdir(path.join(root, 'dir'));
    await writeFile(path.join(root, 'a.txt'), 'a');
    await writeFile(path.join(root, 'b.txt'), 'b');
    await writeFile(path.join(root, 'dir', 'b.txt'), 'inner b');
    await writeFile(path.join(root, 'c.txt'), 'c');
  });
  const ls = async (p: string) => new Map((await drive.list(p)).map((e) => [e.name, e]));
  let root = await ls('/');
  const moved = await drive.writer.move('/a.txt', root.get('a.txt')!, '/b.txt', { replaces: root.get('b.txt') });
  root = await ls('/');
  assert.deepEqual([...root.keys()].sort(), ['b.txt', 'c.txt', 'dir']);
  assert.equal(root.get('b.txt')!.id, moved.id);
  // The time the mount shows after a rename is the service's (it sets it at the rename), not a guess.
  assert.equal(moved.mtimeMs, root.get('b.txt')!.mtimeMs);
  // Into another folder, onto a file there.
  const dir = await ls('/dir');
  const moved2 = await drive.writer.move('/b.txt', root.get('b.txt')!, '/dir/b.txt', { replaces: dir.get('b.txt') });
  assert.equal((await ls('/dir')).get('b.txt')!.id, moved2.id);
  assert.equal(moved2.mtimeMs, (await ls('/dir')).get('b.txt')!.mtimeMs);
  // The source vanishes (another client removed it) before the rename: the target stays.
  root = await ls('/');
  const target = await ls('/dir');
  await rm(path.join(h.root, 'c.txt'));
  await assert.rejects(drive.writer.move('/c.txt', root.get('c.txt')!, '/dir/b.txt', { replaces: target.get('b.txt') }));
  assert.deepEqual([...(await ls('/dir')).keys()], ['b.txt']);
});

test('rename of a folder onto an empty folder; when the move fails, the target folder is put back', async () => {
  const { h, drive, stats } = await setup(async (root) => {
    await mkdir(path.join(root, 'd1'));
    await writeFile(path.join(root, 'd1', 'x'), 'x');
    await mkdir(path.join(root, 'd2'));
    await mkdir(path.join(root, 'd3'));
    await mkdir(path.join(root, 'gone'));
  });
  const ls = async (p: string) => new Map((await drive.list(p)).map((e) => [e.name, e]));
  let root = await ls('/');
  await drive.writer.move('/d1', root.get('d1')!, '/d2', { replaces: root.get('d2') });
  assert.deepEqual([...(await ls('/')).keys()].sort(), ['d2', 'd3', 'gone']);
  assert.deepEqual([...(await ls('/d2')).keys()], ['x']);
  assert.equal(stats().trash, 1, 'the replaced folder was not removed');
  // The source vanishes before the move: d3 must still be there, under its own name.
  root = await ls('/');
  await rm(path.join(h.root, 'gone'), { recursive: true });
  await assert.rejects(drive.writer.move('/gone', root.get('gone')!, '/d3', { replaces: root.get('d3') }));
  assert.deepEqual((await readdir(h.root)).sort(), ['d2', 'd3']);
  assert.deepEqual([...(await ls('/')).keys()].sort(), ['d2', 'd3']);
  assert.equal((await ls('/')).get('d3')!.id, root.get('d3')!.id);
});

test('live-photo sizes are bounded; a forgotten one is probed again and comes out the same', async () => {
  const jpegs = [randomBytes(3000), randomBytes(4000), randomBytes(5000)];
  const { drive, stats } = await setup(
    async (root) => {
      for (let i = 0; i < jpegs.length; i++) {
        const dir = path.join(root, `P${i}.livp`);
        await mkdir(dir);
        await writeFile(path.join(dir, `P${i}.jpeg`), jpegs[i]!);
        await writeFile(path.join(dir, `P${i}.mov`), randomBytes(100));
      }
    },
    { limits: { liveSizes: 1 } },
  );
  const sizeOf = async (i: number) => {
    const e = (await drive.list('/')).find((x) => x.name === `P${i}.jpeg`)!;
    return e.sizeUnknown ? (await drive.learnSize(`/P${i}.jpeg`, e)).size : e.size;
  };
  for (let i = 0; i < jpegs.length; i++) assert.equal(await sizeOf(i), jpegs[i]!.length);
  const probes = stats().download;
  assert.equal(await sizeOf(0), jpegs[0]!.length);
  assert.equal(stats().download, probes + 1, 'the forgotten size was not probed again');
});
