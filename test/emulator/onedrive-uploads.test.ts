// Upload sessions: createUploadSession, fragment rules, resume, conflicts,
// expiry, cancellation, injected fragment failures and quota.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { QuickXorHash } from '../../src/hash/quickxorhash.js';
import { type Harness, sleep, startHarness } from './helpers.js';

const K320 = 327_680;

describe('OneDrive emulator: upload sessions', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({}, async (root) => {
      await writeFile(path.join(root, 'existing.txt'), 'old content');
    });
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.setFaults({ failFragmentEvery: 0, cutFragmentEvery: 0, uploadSessionTtlSec: 900, quotaTotal: 1024 ** 4 });
    h.emu.resetStats();
  });

  async function session(itemPath: string, item?: Record<string, unknown>): Promise<{ uploadUrl: string; expirationDateTime: string; nextExpectedRanges: string[] }> {
    const r = await h.graphJson(`/me/drive/root:/${itemPath}:/createUploadSession`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: item ? JSON.stringify({ item }) : undefined,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }

  async function put(url: string, data: Buffer, start: number, end: number, total: number, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${start}-${end}/${total}`, ...headers },
      body: new Uint8Array(data.subarray(start, end + 1)),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function status(url: string): Promise<{ status: number; body: any }> {
    const res = await fetch(url);
    return { status: res.status, body: await res.json() };
  }

  it('uploads in 320 KiB-multiple fragments; the file appears only on the last one', async () => {
    const data = randomBytes(3 * K320 + 12_345);
    const s = await session('big.bin', { fileSystemInfo: { lastModifiedDateTime: '2021-05-06T07:08:09Z', createdDateTime: '2020-01-01T00:00:00Z' } });
    assert.deepEqual(s.nextExpectedRanges, ['0-']);
    assert.ok(Date.parse(s.expirationDateTime) > Date.now());
    assert.ok(s.uploadUrl.startsWith(h.emu.url));

    let r = await put(s.uploadUrl, data, 0, 2 * K320 - 1, data.length);
    assert.equal(r.status, 202);
    assert.deepEqual(r.body.nextExpectedRanges, [`${2 * K320}-`]);
    assert.ok(r.body.expirationDateTime);
    // Partial data is neither listed nor in the backing folder.
    const list = await h.graphJson('/me/drive/root/children');
    assert.ok(!list.body.value.some((v: { name: string }) => v.name === 'big.bin'));
    assert.deepEqual((await readdir(h.root)).sort(), ['existing.txt']);

    r = await put(s.uploadUrl, data, 2 * K320, 3 * K320 - 1, data.length);
    assert.equal(r.status, 202);
    r = await put(s.uploadUrl, data, 3 * K320, data.length - 1, data.length);
    assert.equal(r.status, 201);
    assert.equal(r.body.name, 'big.bin');
    assert.equal(r.body.size, data.length);
    assert.equal(r.body.file.hashes.quickXorHash, QuickXorHash.of(data));
    assert.equal(r.body.fileSystemInfo.lastModifiedDateTime, '2021-05-06T07:08:09Z');
    assert.equal(r.body.fileSystemInfo.createdDateTime, '2020-01-01T00:00:00Z');
    assert.ok((await readFile(path.join(h.root, 'big.bin'))).equals(data));
    assert.equal((await stat(path.join(h.root, 'big.bin'))).mtime.toISOString(), '2021-05-06T07:08:09.000Z');
    // The session is finished.
    assert.equal((await fetch(s.uploadUrl)).status, 404);
    const st = h.emu.stats();
    assert.equal(st.uploadSession, 1);
    assert.equal(st.upload, 3);
    assert.equal(st.uploadBytes, data.length);
    assert.equal(st.uploadWithAuthorization, 0);
  });

  it('refuses fragments that are not a multiple of 320 KiB (except the last), without losing the session', async () => {
    const data = randomBytes(2 * K320 + 10);
    const s = await session('multiple.bin');
    let r = await put(s.uploadUrl, data, 0, 100_000 - 1, data.length);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalidRequest');
    assert.deepEqual((await status(s.uploadUrl)).body.nextExpectedRanges, ['0-']);
    r = await put(s.uploadUrl, data, 0, K320 - 1, data.length);
    assert.equal(r.status, 202);
    r = await put(s.uploadUrl, data, K320, data.length - 1, data.length); // last: any size
    assert.equal(r.status, 201);
  });

  it('refuses re-sent bytes and gaps with 416; GET status tells where to resume', async () => {
    const data = randomBytes(3 * K320);
    const s = await session('resume.bin');
    assert.equal((await put(s.uploadUrl, data, 0, K320 - 1, data.length)).status, 202);
    // Re-sent bytes.
    let r = await put(s.uploadUrl, data, 0, K320 - 1, data.length);
    assert.equal(r.status, 416);
    // Out of order (a gap).
    r = await put(s.uploadUrl, data, 2 * K320, 3 * K320 - 1, data.length);
    assert.equal(r.status, 416);
    const st = await status(s.uploadUrl);
    assert.equal(st.status, 200);
    assert.deepEqual(st.body.nextExpectedRanges, [`${K320}-`]);
    assert.ok(st.body.expirationDateTime);
    const from = Number(st.body.nextExpectedRanges[0].split('-')[0]);
    assert.equal((await put(s.uploadUrl, data, from, 2 * K320 - 1, data.length)).status, 202);
    r = await put(s.uploadUrl, data, 2 * K320, 3 * K320 - 1, data.length);
    assert.equal(r.status, 201);
    assert.ok((await readFile(path.join(h.root, 'resume.bin'))).equals(data));
  });

  it('validates Content-Range against Content-Length and the declared total', async () => {
    const data = randomBytes(K320 + 5);
    const s = await session('ranges.bin');
    let res = await fetch(s.uploadUrl, { method: 'PUT', body: data.subarray(0, K320) }); // no Content-Range
    assert.equal(res.status, 400);
    await res.arrayBuffer();
    res = await fetch(s.uploadUrl, { method: 'PUT', headers: { 'content-range': `bytes 0-${K320}/${data.length}` }, body: data.subarray(0, K320) });
    assert.equal(res.status, 400, 'range longer than body');
    await res.arrayBuffer();
    assert.equal((await put(s.uploadUrl, data, 0, K320 - 1, data.length)).status, 202);
    assert.equal((await put(s.uploadUrl, Buffer.concat([data, data]), K320, K320 + 4, data.length + 1)).status, 400, 'total changed');
  });

  it('refuses fragments of 60 MiB or more', async () => {
    const size = 60 * 1024 * 1024;
    const data = Buffer.alloc(size + K320);
    const s = await session('huge.bin');
    const r = await put(s.uploadUrl, data, 0, size - 1, data.length);
    assert.equal(r.status, 400);
    assert.deepEqual((await status(s.uploadUrl)).body.nextExpectedRanges, ['0-']);
  });

  it('applies conflictBehavior at commit: fail (default) → 409, replace keeps the item, rename picks a new name', async () => {
    const data = Buffer.from('new content');
    const before = (await h.graphJson('/me/drive/root:/existing.txt:')).body;

    let s = await session('Existing.txt'); // default fail, case-insensitive match
    let r = await put(s.uploadUrl, data, 0, data.length - 1, data.length);
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'nameAlreadyExists');
    assert.equal(await readFile(path.join(h.root, 'existing.txt'), 'utf8'), 'old content');
    assert.equal((await fetch(s.uploadUrl)).status, 404, 'a refused commit ends the session');

    s = await session('existing.txt', { '@microsoft.graph.conflictBehavior': 'rename' });
    r = await put(s.uploadUrl, data, 0, data.length - 1, data.length);
    assert.equal(r.status, 201);
    assert.equal(r.body.name, 'existing 1.txt');

    s = await session('existing.txt', { '@microsoft.graph.conflictBehavior': 'replace' });
    r = await put(s.uploadUrl, data, 0, data.length - 1, data.length);
    assert.equal(r.status, 200);
    assert.equal(r.body.id, before.id, 'replacing content keeps the item id');
    assert.notEqual(r.body.cTag, before.cTag);
    assert.equal(await readFile(path.join(h.root, 'existing.txt'), 'utf8'), 'new content');

    // By id: replaces that item's content.
    const again = await h.graphJson(`/me/drive/items/${before.id}/createUploadSession`, { method: 'POST' });
    assert.equal(again.status, 200);
    r = await put(again.body.uploadUrl, Buffer.from('v3'), 0, 1, 2);
    assert.equal(r.status, 200);
    assert.equal(r.body.id, before.id);
    assert.equal(await readFile(path.join(h.root, 'existing.txt'), 'utf8'), 'v3');
  });

  it('cancels with DELETE and expires idle sessions (404)', async () => {
    const data = randomBytes(K320 + 1);
    let s = await session('cancel.bin');
    assert.equal((await put(s.uploadUrl, data, 0, K320 - 1, data.length)).status, 202);
    assert.equal((await fetch(s.uploadUrl, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(s.uploadUrl)).status, 404);
    assert.equal((await put(s.uploadUrl, data, K320, K320, data.length)).status, 404);

    h.emu.setFaults({ uploadSessionTtlSec: 1 });
    s = await session('expire.bin');
    assert.equal((await put(s.uploadUrl, data, 0, K320 - 1, data.length)).status, 202);
    await sleep(1100);
    const r = await put(s.uploadUrl, data, K320, K320, data.length);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'itemNotFound');
    assert.deepEqual(await readdir(h.root).then((n) => n.filter((x) => x.startsWith('expire'))), []);
  });

  it('injects failing fragments (500/503) that store nothing', async () => {
    h.emu.setFaults({ failFragmentEvery: 2 });
    const data = randomBytes(3 * K320);
    const s = await session('flaky.bin');
    assert.equal((await put(s.uploadUrl, data, 0, K320 - 1, data.length)).status, 202);
    const r = await put(s.uploadUrl, data, K320, 2 * K320 - 1, data.length);
    assert.ok(r.status === 500 || r.status === 503, String(r.status));
    assert.deepEqual((await status(s.uploadUrl)).body.nextExpectedRanges, [`${K320}-`]);
    assert.equal((await put(s.uploadUrl, data, K320, 2 * K320 - 1, data.length)).status, 202);
    const r2 = await put(s.uploadUrl, data, 2 * K320, 3 * K320 - 1, data.length); // 4th fragment: fails
    assert.ok(r2.status === 500 || r2.status === 503);
    assert.equal((await put(s.uploadUrl, data, 2 * K320, 3 * K320 - 1, data.length)).status, 201);
    assert.ok((await readFile(path.join(h.root, 'flaky.bin'))).equals(data));
    assert.equal(h.emu.stats().fragmentFailed, 2);
  });

  it('cuts fragment connections mid-body and keeps nothing of them', async () => {
    h.emu.setFaults({ cutFragmentEvery: 2 });
    const data = randomBytes(4 * K320);
    const s = await session('cut.bin');
    assert.equal((await put(s.uploadUrl, data, 0, 2 * K320 - 1, data.length)).status, 202);
    await assert.rejects(put(s.uploadUrl, data, 2 * K320, 4 * K320 - 1, data.length));
    assert.deepEqual((await status(s.uploadUrl)).body.nextExpectedRanges, [`${2 * K320}-`]);
    const r = await put(s.uploadUrl, data, 2 * K320, 4 * K320 - 1, data.length);
    assert.equal(r.status, 201);
    assert.equal(r.body.file.hashes.quickXorHash, QuickXorHash.of(data));
    assert.ok((await readFile(path.join(h.root, 'cut.bin'))).equals(data));
    assert.equal(h.emu.stats().fragmentCut, 1);
  });

  it('counts upload requests that carry an Authorization header', async () => {
    const s = await session('auth.bin');
    const r = await put(s.uploadUrl, Buffer.from('x'), 0, 0, 1, { authorization: `Bearer ${h.accessToken}` });
    assert.equal(r.status, 201);
    assert.equal(h.emu.stats().uploadWithAuthorization, 1);
  });

  it('answers 507 quotaLimitReached when the file does not fit', async () => {
    const used = (await h.graphJson('/me/drive')).body.quota.used;
    h.emu.setFaults({ quotaTotal: used + 1000 });
    const s = await session('toolarge.bin');
    const data = randomBytes(K320 + 1);
    const r = await put(s.uploadUrl, data, 0, K320 - 1, data.length);
    assert.equal(r.status, 507);
    assert.equal(r.body.error.code, 'quotaLimitReached');
    assert.equal(h.emu.stats().quotaExceeded, 1);
    const small = await session('small.bin');
    assert.equal((await put(small.uploadUrl, Buffer.alloc(500), 0, 499, 500)).status, 201);
    const drive = (await h.graphJson('/me/drive')).body;
    assert.equal(drive.quota.used, used + 500);
    assert.equal(drive.quota.remaining, 500);
  });

  it('refuses sessions for names OneDrive refuses and for missing parents', async () => {
    for (const bad of ['a:b.txt', 'CON', 'trailing.', ' lead.txt', 'x_vti_y']) {
      const r = await h.graphJson(`/me/drive/root:/${encodeURIComponent(bad)}:/createUploadSession`, { method: 'POST' });
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error.code, 'invalidRequest');
    }
    const r = await h.graphJson('/me/drive/root:/no/such/folder/x.bin:/createUploadSession', { method: 'POST' });
    assert.equal(r.status, 404);
  });
});
