// The share emulator's drive (what a share with edit rights offers through its page context) is
// as strict as Graph: its ids are not the listing's UniqueIds, conflictBehavior counts only in the
// URL of a PATCH, folders are never replaced, a move without fileSystemInfo resets the time, files
// carry quickXorHash, and its calls are throttled with the host. UniqueIds belong to items.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { MemoryCredentialStore } from '../../src/config/credential-store.js';
import { parseShareConfig } from '../../src/drives/onedrive-share/config.js';
import { ShareDrive } from '../../src/drives/onedrive-share/share-drive.js';
import { startShareEmulator, type ShareEmulator } from '../../src/emulators/onedrive-share/server.js';
import { HttpClient } from '../../src/http/client.js';
import { silentLogger } from '../../src/util/log.js';

describe('share emulator: the page-context drive', () => {
  let root: string;
  let emu: ShareEmulator;
  let http: HttpClient;
  let drive: ShareDrive;
  let api: (sub: string, init?: RequestInit & { query?: string }) => Promise<{ status: number; body: Record<string, unknown> }>;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'dm-share-drive-'));
    await writeFile(path.join(root, 'a.txt'), 'aaa');
    await writeFile(path.join(root, 'b.txt'), 'bbb');
    await mkdir(path.join(root, 'D1'));
    await mkdir(path.join(root, 'D2'));
    emu = await startShareEmulator({ root, faults: { editable: 1 } });
    http = new HttpClient({ logger: silentLogger, baseDelayMs: 20 });
    drive = new ShareDrive('t', parseShareConfig('t', { type: 'onedrive-share', url: emu.shareUrl }), { http, store: new MemoryCredentialStore(undefined), log: silentLogger });
    const s = await drive.session.current();
    const page = await (await fetch(s.location, { headers: { cookie: s.jar.header(s.location) } })).text();
    const info = JSON.parse(/_spPageContextInfo=(\{.*?\});<\/script>/.exec(page)![1]!) as { driveInfo: { driveUrl: string; driveAccessToken: string } };
    api = async (sub, init = {}) => {
      const q = `${init.query ? `${init.query}&` : ''}access_token=${encodeURIComponent(info.driveInfo.driveAccessToken)}`;
      const res = await fetch(`${info.driveInfo.driveUrl}${sub}?${q}`, { ...init, headers: { 'content-type': 'application/json' } });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
  });
  after(async () => {
    await http.close();
    await emu.close();
    await rm(root, { recursive: true, force: true });
  });

  const byPath = (p: string) => `/root:/Shared Team${p}:`.replace(/ /g, '%20');
  const uniqueIdOf = async (name: string) => (await drive.list('/')).find((e) => e.name === name)?.id;

  it("drive item ids are not the listing's UniqueIds: an item addressed by its UniqueId does not exist", async () => {
    const item = await api(byPath('/a.txt'));
    assert.equal(item.status, 200);
    const uid = await uniqueIdOf('a.txt');
    assert.notEqual(String(item.body.id).toLowerCase(), uid);
    assert.equal((await api(`/items/${uid}`)).status, 404);
    assert.match(String((item.body.file as { hashes?: { quickXorHash?: string } }).hashes?.quickXorHash), /^[A-Za-z0-9+/]{27}=$/, 'files carry quickXorHash');
  });

  it('conflictBehavior in the body of a PATCH is ignored (409); in the URL a file may replace a file, never a folder', async () => {
    const a = await api(byPath('/a.txt'));
    const body = JSON.stringify({ name: 'b.txt', '@microsoft.graph.conflictBehavior': 'replace' });
    assert.equal((await api(`/items/${a.body.id}`, { method: 'PATCH', body })).status, 409);
    const d1 = await api(byPath('/D1'));
    assert.equal((await api(`/items/${d1.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'D2' }), query: '@microsoft.graph.conflictBehavior=replace' })).status, 409, 'a folder does not replace a folder');
    assert.equal((await api(`/items/${a.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'D2' }), query: '@microsoft.graph.conflictBehavior=replace' })).status, 409, 'a file does not replace a folder');
    assert.ok((await stat(path.join(root, 'D2'))).isDirectory());
  });

  it('a rename without fileSystemInfo resets the modification time; with it, the time is kept', async () => {
    const old = new Date('2020-01-02T03:04:05Z');
    const { utimes } = await import('node:fs/promises');
    await utimes(path.join(root, 'b.txt'), old, old);
    const b = await api(byPath('/b.txt'));
    await api(`/items/${b.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'b2.txt' }) });
    assert.ok((await stat(path.join(root, 'b2.txt'))).mtimeMs > old.getTime() + 1000, 'reset by the rename');
    await api(`/items/${b.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'b.txt', fileSystemInfo: { lastModifiedDateTime: old.toISOString() } }) });
    assert.equal((await stat(path.join(root, 'b.txt'))).mtimeMs, old.getTime());
  });

  it('a UniqueId belongs to its item: it survives a rename, and a new item at the old path gets another', async () => {
    const before = await uniqueIdOf('a.txt');
    const a = await api(byPath('/a.txt'));
    assert.equal((await api(`/items/${a.body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'moved.txt' }) })).status, 200);
    assert.equal(await uniqueIdOf('moved.txt'), before);
    await writeFile(path.join(root, 'a.txt'), 'new item');
    const fresh = await uniqueIdOf('a.txt');
    assert.ok(fresh && fresh !== before, 'a new item has a new UniqueId');
  });

  it('drive calls are throttled with the host (429 with Retry-After)', async () => {
    emu.setFaults({ throttleEvery: 1, retryAfterSec: 7 });
    try {
      const res = await api(byPath('/b.txt'));
      assert.equal(res.status, 429);
      assert.equal((res.body.error as { code?: string }).code, 'activityLimitReached');
    } finally {
      emu.setFaults({ throttleEvery: 0 });
    }
  });
});
