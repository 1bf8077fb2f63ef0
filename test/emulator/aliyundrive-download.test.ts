// Aliyundrive emulator: getDownloadUrl and the storage host — Range, expiry,
// signatures, live photo streams, the concurrency limit and cut bodies.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type AliHarness, sleep, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';

describe('Aliyundrive emulator: downloads', () => {
  let h: AliHarness;
  let drive: string;
  const data = randomBytes(300_000);
  const jpeg = randomBytes(3000);
  const mov = randomBytes(7000);

  before(async () => {
    h = await startAliHarness({}, async (root) => {
      await writeFile(path.join(root, 'data.bin'), data);
      await writeFile(path.join(root, 'empty.txt'), '');
      await mkdir(path.join(root, 'live.livp'));
      await writeFile(path.join(root, 'live.livp', 'live.jpg'), jpeg);
      await writeFile(path.join(root, 'live.livp', 'live.mov'), mov);
    });
    drive = h.emu.driveIds.resource;
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.setFaults({ bandwidthBytesPerSec: 0, cutDownloadEvery: 0, maxConcurrentDownloads: 3, maxLinkTtlSec: 14400 });
    h.emu.resetStats();
  });

  async function idOf(p: string): Promise<string> {
    return (await h.api('openFile/get_by_path', { drive_id: drive, file_path: p })).body.file_id;
  }
  async function link(p: string, extra: Record<string, unknown> = {}): Promise<any> {
    const r = await h.api('openFile/getDownloadUrl', { drive_id: drive, file_id: await idOf(p), ...extra });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  }
  const bytes = async (res: Response): Promise<Buffer> => Buffer.from(await res.arrayBuffer());

  it('hands out pre-signed GET URLs that serve the bytes', async () => {
    const l = await link('/data.bin');
    assert.equal(l.method, 'GET');
    const ttl = Date.parse(l.expiration) - Date.now();
    assert.ok(ttl > 895_000 && ttl <= 902_000, `default expiry ~900 s, got ${ttl}`);
    assert.ok(l.url.startsWith(h.emu.url) && !l.url.includes('/adrive/'));
    const res = await fetch(l.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.ok((await bytes(res)).equals(data));
    const capped = await link('/data.bin', { expire_sec: 99_999 });
    assert.ok(Date.parse(capped.expiration) - Date.now() <= 14_401_000);
    const s = h.emu.stats();
    assert.equal(s.getDownloadUrl, 2);
    assert.equal(s.download, 1);
    assert.equal(s.downloadBytes, data.length);
    assert.equal(s.downloadWithAuthorization, 0);
  });

  it('serves Range requests (206) and refuses unsatisfiable ones (416)', async () => {
    const { url } = await link('/data.bin');
    let res = await fetch(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 100-199/${data.length}`);
    assert.ok((await bytes(res)).equals(data.subarray(100, 200)));
    res = await fetch(url, { headers: { range: 'bytes=-10' } });
    assert.ok((await bytes(res)).equals(data.subarray(data.length - 10)));
    res = await fetch(url, { headers: { range: `bytes=${data.length}-` } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${data.length}`);
    assert.match(await res.text(), /<Code>InvalidRange<\/Code>/);
    const empty = await link('/empty.txt');
    res = await fetch(empty.url);
    assert.equal(res.status, 200);
    assert.equal((await bytes(res)).length, 0);
    res = await fetch(url, { headers: { authorization: `Bearer ${h.accessToken}`, range: 'bytes=0-0' } });
    await bytes(res);
    assert.equal(h.emu.stats().downloadWithAuthorization, 1);
  });

  it('refuses expired, tampered and HEAD requests like OSS', async () => {
    const l = await link('/data.bin', { expire_sec: 1 });
    let res = await fetch(l.url, { method: 'HEAD' });
    assert.equal(res.status, 403);
    res = await fetch(l.url.replace(/Signature=[^&]+/, 'Signature=AAAA'));
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    await sleep(Math.max(0, Date.parse(l.expiration) - Date.now()) + 50);
    res = await fetch(l.url);
    assert.equal(res.status, 403);
    const text = await res.text();
    assert.match(text, /<Code>AccessDenied<\/Code>/);
    assert.match(text, /Request has expired/);
    const s = h.emu.stats();
    assert.equal(s.expiredLink, 1);
    assert.equal(s.badLink, 2);
  });

  it('gives live photos two streams whose sizes a 0-0 Range reveals', async () => {
    const l = await link('/live.livp');
    assert.equal(l.url, undefined);
    for (const [kind, want] of [['jpeg', jpeg], ['mov', mov]] as const) {
      const u = l.streamsUrl[kind];
      let res = await fetch(u, { headers: { range: 'bytes=0-0' } });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get('content-range'), `bytes 0-0/${want.length}`);
      await bytes(res);
      res = await fetch(u);
      assert.ok((await bytes(res)).equals(want));
    }
  });

  it('refuses a 4th concurrent download with ExceedMaxConcurrency', async () => {
    h.emu.setFaults({ bandwidthBytesPerSec: 64 * 1024 });
    const { url } = await link('/data.bin');
    const open = await Promise.all([1, 2, 3].map(() => fetch(url)));
    assert.deepEqual(open.map((r) => r.status), [200, 200, 200]);
    const fourth = await fetch(url, { headers: { range: 'bytes=0-0' } });
    assert.equal(fourth.status, 403);
    assert.equal((await fourth.json()).code, 'ExceedMaxConcurrency');
    await Promise.all(open.map((r) => r.body?.cancel()));
    await sleep(100);
    const later = await fetch(url, { headers: { range: 'bytes=0-9' } });
    assert.equal(later.status, 206);
    await bytes(later);
    assert.equal(h.emu.stats().concurrencyRefused, 1);
  });

  it('cuts download bodies on demand and answers 404 for removed files', async () => {
    h.emu.setFaults({ cutDownloadEvery: 1 });
    const { url } = await link('/data.bin');
    await assert.rejects(async () => bytes(await fetch(url)));
    assert.equal(h.emu.stats().cut, 1);
    h.emu.setFaults({ cutDownloadEvery: 0 });
    await writeFile(path.join(h.root, 'temp.bin'), 'temp');
    const t = await link('/temp.bin');
    await h.api('openFile/delete', { drive_id: drive, file_id: await idOf('/temp.bin') });
    const res = await fetch(t.url);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /NoSuchKey/);
  });
});
