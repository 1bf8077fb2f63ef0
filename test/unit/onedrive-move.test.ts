// The OneDrive driver's rename/move against the Graph emulator in its strict default (replace on
// a move ignored, times reset by a move that does not send them): replacing goes through a
// hidden aside name, times survive, and a failure in the middle puts the target back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOneDriveEmulator, type OneDriveEmulator } from '../../src/emulators/onedrive/server.js';
import { OneDriveDrive } from '../../src/drives/onedrive/onedrive-drive.js';
import { parseOneDriveConfig } from '../../src/drives/onedrive/config.js';
import { moveItem } from '../../src/drives/onedrive/move-item.js';
import type { GraphApi } from '../../src/drives/onedrive/graph-api.js';
import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { HttpClient } from '../../src/http/client.js';
import { DriveError } from '../../src/util/errors.js';
import { silentLogger, type Logger } from '../../src/util/log.js';
import type { RemoteEntry } from '../../src/drives/types.js';

const OLD_MS = Date.parse('2020-03-04T05:06:07Z');

async function withDrive(fn: (x: { drive: OneDriveDrive; emu: OneDriveEmulator; root: string }) => Promise<void>): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-mv-'));
  const emu = await startOneDriveEmulator({ root });
  const http = new HttpClient();
  try {
    const cfg = parseOneDriveConfig('t', { type: 'onedrive', refreshToken: emu.refreshToken, clientId: emu.clientId, clientSecret: emu.clientSecret, authUrl: emu.url, graphUrl: emu.url });
    const drive = new OneDriveDrive('t', cfg, { http, store: memoryRefreshTokenStore(emu.refreshToken), log: silentLogger });
    await fn({ drive, emu, root });
  } finally {
    await http.close();
    await emu.close();
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** A file written straight into the drive's folder, with an old modification time set through the driver. */
async function seeded(drive: OneDriveDrive, root: string, p: string, text: string): Promise<RemoteEntry> {
  await fs.mkdir(path.dirname(path.join(root, p)), { recursive: true });
  await fs.writeFile(path.join(root, p), text);
  return drive.writer.setModified!(p, await drive.stat(p), OLD_MS);
}

test('rename onto an existing file: the source bytes are at the target, the old target and the aside name are gone, times kept, 3 calls', async () => {
  await withDrive(async ({ drive, emu, root }) => {
    const src = await seeded(drive, root, '/a.txt', 'source');
    const dst = await seeded(drive, root, '/b.txt', 'target');
    emu.resetStats();
    const moved = await drive.writer.move('/a.txt', src, '/b.txt', { replaces: dst });
    assert.equal(moved.id, src.id);
    assert.equal(moved.name, 'b.txt');
    assert.equal(moved.mtimeMs, OLD_MS);
    assert.deepEqual(await fs.readdir(root), ['b.txt']);
    assert.equal(await fs.readFile(path.join(root, 'b.txt'), 'utf8'), 'source');
    assert.equal((await fs.stat(path.join(root, 'b.txt'))).mtimeMs, OLD_MS);
    const s = emu.stats();
    assert.deepEqual([s.api, s.patch, s.delete], [3, 2, 1], 'aside PATCH + move PATCH + DELETE');
  });
});

test('rename into another folder onto an existing file: one lookup of the folder more (4 calls)', async () => {
  await withDrive(async ({ drive, emu, root }) => {
    const src = await seeded(drive, root, '/a.txt', 'source');
    const dst = await seeded(drive, root, '/sub/a.txt', 'target');
    emu.resetStats();
    const moved = await drive.writer.move('/a.txt', src, '/sub/a.txt', { replaces: dst });
    assert.equal(moved.mtimeMs, OLD_MS);
    assert.deepEqual(await fs.readdir(root), ['sub']);
    assert.deepEqual(await fs.readdir(path.join(root, 'sub')), ['a.txt']);
    assert.equal(await fs.readFile(path.join(root, 'sub', 'a.txt'), 'utf8'), 'source');
    assert.equal(emu.stats().api, 4);
  });
});

test('a plain rename keeps the modification time and costs one PATCH', async () => {
  await withDrive(async ({ drive, emu, root }) => {
    const src = await seeded(drive, root, '/a.txt', 'source');
    emu.resetStats();
    const moved = await drive.writer.move('/a.txt', src, '/c.txt', {});
    assert.equal(moved.mtimeMs, OLD_MS);
    assert.equal((await drive.stat('/c.txt')).mtimeMs, OLD_MS);
    assert.equal(emu.stats().patch, 1);
  });
});

test('a folder onto an empty folder is replaced the same way', async () => {
  await withDrive(async ({ drive, root }) => {
    await fs.mkdir(path.join(root, 'd1'));
    await fs.writeFile(path.join(root, 'd1', 'x'), 'x');
    await fs.mkdir(path.join(root, 'd2'));
    const moved = await drive.writer.move('/d1', await drive.stat('/d1'), '/d2', { replaces: await drive.stat('/d2') });
    assert.ok(moved.isDir);
    assert.deepEqual(await fs.readdir(root), ['d2']);
    assert.deepEqual(await fs.readdir(path.join(root, 'd2')), ['x']);
  });
});

test('when moving the source fails, the target is put back and the error is thrown as an errno', async () => {
  await withDrive(async ({ drive, emu, root }) => {
    const src = await seeded(drive, root, '/a.txt', 'source');
    const dst = await seeded(drive, root, '/b.txt', 'target');
    emu.setFaults({ failMoveEvery: 2 }); // the aside PATCH passes, the source's fails, the restore passes
    await assert.rejects(drive.writer.move('/a.txt', src, '/b.txt', { replaces: dst }), (e: unknown) => e instanceof DriveError && e.code === 'EIO');
    assert.equal(emu.stats().moveFailed, 1);
    assert.deepEqual((await fs.readdir(root)).sort(), ['a.txt', 'b.txt']);
    assert.equal(await fs.readFile(path.join(root, 'a.txt'), 'utf8'), 'source');
    assert.equal(await fs.readFile(path.join(root, 'b.txt'), 'utf8'), 'target');
    assert.equal((await drive.stat('/b.txt')).mtimeMs, OLD_MS, 'the restored target keeps its time');
    assert.equal((await drive.stat('/b.txt')).id, dst.id);
  });
});

test('when setting the target aside fails, nothing has changed', async () => {
  await withDrive(async ({ drive, emu, root }) => {
    const src = await seeded(drive, root, '/a.txt', 'source');
    const dst = await seeded(drive, root, '/b.txt', 'target');
    emu.setFaults({ failMoveEvery: 1 });
    await assert.rejects(drive.writer.move('/a.txt', src, '/b.txt', { replaces: dst }), (e: unknown) => e instanceof DriveError && e.code === 'EIO');
    assert.equal(emu.stats().patch, 3, 'two setModified PATCHes before, then only the aside one');
    assert.deepEqual((await fs.readdir(root)).sort(), ['a.txt', 'b.txt']);
  });
});

test('when deleting the set-aside item fails, the rename stands and one line names what was left', async () => {
  const calls: string[] = [];
  const api = {
    async json(url: string, req: { method?: string; body?: string } = {}) {
      calls.push(`${req.method} ${url}`);
      if (req.method === 'DELETE') throw new DriveError('EIO', 'delete failed');
      const body = JSON.parse(req.body ?? '{}') as { name: string; fileSystemInfo?: { lastModifiedDateTime?: string } };
      return { id: url.split('/').pop(), name: body.name, size: 1, file: {}, fileSystemInfo: body.fileSystemInfo };
    },
  } as unknown as GraphApi;
  const lines: string[] = [];
  const log = { warn: (_o: unknown, msg: string) => lines.push(msg), error: (_o: unknown, msg: string) => lines.push(msg) } as unknown as Logger;
  const entry = (id: string, name: string): RemoteEntry => ({ id, name, isDir: false, size: 1, mtimeMs: OLD_MS, birthtimeMs: OLD_MS });
  const moved = await moveItem({ api, log, base: '/me/drive' }, entry('S', 'a'), { name: 'b', from: '/a', to: '/b' }, entry('T', 'b'));
  assert.equal(moved.name, 'b');
  assert.equal(moved.mtimeMs, OLD_MS);
  assert.deepEqual(calls, ['PATCH /me/drive/items/T', 'PATCH /me/drive/items/S', 'DELETE /me/drive/items/T']);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /could not be removed; it is left as \.dm-replaced-[0-9a-f]{8}/);
});

/** A fake Graph that applies PATCHes to its items and can lose the answer of the Nth PATCH (applied, then "connection cut"). */
function lossyGraph(items: Record<string, { name: string; parent: string; folder?: { childCount: number } }>, loseAnswerOf: number) {
  const calls: string[] = [];
  let patches = 0;
  const api = {
    async json(url: string, req: { method?: string; body?: string } = {}) {
      const method = req.method ?? 'GET';
      const id = decodeURIComponent(url.split('/items/')[1]!.split('?')[0]!);
      calls.push(`${method} ${id}`);
      const it = items[id];
      if (!it) throw new DriveError('ENOENT', 'itemNotFound');
      if (method === 'PATCH') {
        const body = JSON.parse(req.body!) as { name: string; parentReference?: { id: string } };
        it.name = body.name;
        if (body.parentReference) it.parent = body.parentReference.id;
        if (++patches === loseAnswerOf) throw new DriveError('EIO', 'connection cut after the service applied it');
      }
      if (method === 'DELETE') {
        delete items[id];
        return {};
      }
      return { id, name: it.name, parentReference: { id: it.parent }, folder: it.folder, file: it.folder ? undefined : {}, size: 1 };
    },
  } as unknown as GraphApi;
  const lines: string[] = [];
  const log = { warn: (_o: unknown, msg: string) => lines.push(msg), error: (_o: unknown, msg: string) => lines.push(msg) } as unknown as Logger;
  return { api, log, calls, lines };
}
const plain = (id: string, name: string, isDir = false): RemoteEntry => ({ id, name, isDir, size: 1, mtimeMs: OLD_MS, birthtimeMs: OLD_MS });

test('setting the target aside applied but its answer lost: the target is put back, nothing else moves', async () => {
  const items = { S: { name: 'a', parent: 'R' }, T: { name: 'b', parent: 'R' } };
  const g = lossyGraph(items, 1);
  await assert.rejects(moveItem({ api: g.api, log: g.log, base: '' }, plain('S', 'a'), { name: 'b', from: '/a', to: '/b' }, plain('T', 'b')));
  assert.deepEqual(items, { S: { name: 'a', parent: 'R' }, T: { name: 'b', parent: 'R' } });
});

test('the move applied but its answer lost: the rename stands and the set-aside target is removed', async () => {
  const items: Record<string, { name: string; parent: string }> = { S: { name: 'a', parent: 'R' }, T: { name: 'b', parent: 'R' } };
  const g = lossyGraph(items, 2);
  const moved = await moveItem({ api: g.api, log: g.log, base: '' }, plain('S', 'a'), { name: 'b', from: '/a', to: '/b' }, plain('T', 'b'));
  assert.equal(moved.name, 'b');
  assert.deepEqual(items, { S: { name: 'b', parent: 'R' } });
  assert.deepEqual(g.lines, []);
});

test('a replaced folder that is no longer empty when set aside is kept, not deleted with its content', async () => {
  const items = { S: { name: 'a', parent: 'R', folder: { childCount: 0 } }, T: { name: 'b', parent: 'R', folder: { childCount: 2 } } };
  const g = lossyGraph(items, 0);
  const moved = await moveItem({ api: g.api, log: g.log, base: '' }, plain('S', 'a', true), { name: 'b', from: '/a', to: '/b' }, plain('T', 'b', true));
  assert.equal(moved.name, 'b');
  assert.ok(items.T, 'the folder with content was deleted');
  assert.match(items.T.name, /^\.dm-replaced-/);
  assert.equal(g.calls.filter((c) => c.startsWith('DELETE')).length, 0);
  assert.match(g.lines.join('\n'), /no longer empty, so it is kept as \.dm-replaced-/);
});
