// Downloads and faults: the /content redirect, pre-authenticated links and
// their expiry, Range requests, keep-alive, cut connections, bandwidth,
// latency and throttling.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { admin, type Harness, sleep, startHarness } from './helpers.js';

describe('OneDrive emulator: downloads and faults', () => {
  let h: Harness;
  const data = randomBytes(300_000);

  before(async () => {
    h = await startHarness({}, async (root) => {
      await writeFile(path.join(root, 'data.bin'), data);
      await writeFile(path.join(root, 'empty.txt'), '');
    });
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.setFaults({
      latencyMs: 0,
      bandwidthBytesPerSec: 0,
      throttleEvery: 0,
      retryAfterSec: 1,
      cutDownloadEvery: 0,
      linkTtlSec: 3600,
    });
    h.emu.resetStats();
  });

  async function link(name = 'data.bin'): Promise<string> {
    const res = await h.graph(`/me/drive/root:/${name}:/content`);
    assert.equal(res.status, 302);
    const loc = res.headers.get('location');
    assert.ok(loc);
    return loc;
  }

  it('GET content answers 302 to a pre-authenticated URL serving the bytes', async () => {
    const url = await link();
    assert.ok(url.startsWith(h.emu.url));
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));
    const s = h.emu.stats();
    assert.equal(s.content, 1);
    assert.equal(s.api, 1);
    assert.equal(s.download, 1);
    assert.equal(s.downloadBytes, data.length);
    assert.equal(s.downloadWithAuthorization, 0);
  });

  it('serves Range requests with 206 and refuses unsatisfiable ones with 416', async () => {
    const url = await link();
    let res = await fetch(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 100-199/${data.length}`);
    assert.equal(res.headers.get('content-length'), '100');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(100, 200)));

    res = await fetch(url, { headers: { range: 'bytes=299990-' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 299990-299999/${data.length}`);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(data.subarray(299_990)));

    res = await fetch(url, { headers: { range: 'bytes=299000-999999' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 299000-299999/${data.length}`);
    await res.arrayBuffer();

    res = await fetch(url, { headers: { range: `bytes=${data.length}-` } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${data.length}`);
    await res.arrayBuffer();

    const empty = await link('empty.txt');
    res = await fetch(empty);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    assert.equal(h.emu.stats().download, 5);
  });

  it('counts downloads that carry an Authorization header', async () => {
    const url = await link();
    const res = await fetch(url, { headers: { authorization: `Bearer ${h.accessToken}`, range: 'bytes=0-0' } });
    assert.equal(res.status, 206);
    await res.arrayBuffer();
    assert.equal(h.emu.stats().downloadWithAuthorization, 1);
  });

  it('expires download links after linkTtlSec (401) and refuses tampered ones', async () => {
    h.emu.setFaults({ linkTtlSec: 1 });
    const url = await link();
    const ok = await fetch(url, { headers: { range: 'bytes=0-9' } });
    assert.equal(ok.status, 206);
    await ok.arrayBuffer();
    await sleep(1100);
    const late = await fetch(url);
    assert.equal(late.status, 401);
    const body = (await late.json()) as { error: { code: string; message: string } };
    assert.ok(body.error.code && body.error.message);
    assert.equal(h.emu.stats().expiredLink, 1);

    const tampered = url.slice(0, -3) + (url.endsWith('AAA') ? 'BBB' : 'AAA');
    assert.equal((await fetch(tampered)).status, 401);
    assert.equal(h.emu.stats().badLink, 1);
    // A fresh link from the item works again.
    h.emu.setFaults({ linkTtlSec: 3600 });
    const item = await h.graphJson('/me/drive/root:/data.bin:');
    assert.equal((await fetch(item.body['@microsoft.graph.downloadUrl'], { method: 'HEAD' })).status, 200);
  });

  it('keeps connections alive across downloads', async () => {
    const url = new URL(await link());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = http.get(url, { agent, headers: { range: 'bytes=0-999' } }, (res) => {
            res.resume();
            res.on('end', () => {
              reused.push(req.reusedSocket);
              resolve();
            });
          });
          req.on('error', reject);
        });
      }
    } finally {
      agent.destroy();
    }
    assert.deepEqual(reused, [false, true, true]);
  });

  it('cuts every Nth download mid-body', async () => {
    h.emu.setFaults({ cutDownloadEvery: 2 });
    const url = await link();
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      try {
        const res = await fetch(url);
        const got = Buffer.from(await res.arrayBuffer());
        outcomes.push(got.equals(data) ? 'ok' : `short ${got.length}`);
      } catch {
        outcomes.push('cut');
      }
    }
    assert.deepEqual(outcomes, ['ok', 'cut', 'ok', 'cut']);
    const s = h.emu.stats();
    assert.equal(s.cut, 2);
    assert.equal(s.download, 4);
    // About half of the bytes of each cut response were sent.
    assert.ok(s.downloadBytes >= 2 * data.length + 2 * Math.floor(data.length / 2) - 10);
  });

  it('limits download bandwidth per response', async () => {
    h.emu.setFaults({ bandwidthBytesPerSec: 400_000 });
    const url = await link();
    const t0 = Date.now();
    const res = await fetch(url, { headers: { range: 'bytes=0-199999' } });
    const got = Buffer.from(await res.arrayBuffer());
    const ms = Date.now() - t0;
    assert.ok(got.equals(data.subarray(0, 200_000)));
    assert.ok(ms >= 400, `200 kB at 400 kB/s took only ${ms} ms`);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('adds latency before answering', async () => {
    h.emu.setFaults({ latencyMs: 150 });
    const t0 = Date.now();
    assert.equal((await h.graph('/me/drive/root')).status, 200);
    assert.ok(Date.now() - t0 >= 145);
    // Admin calls are not delayed.
    const t1 = Date.now();
    await (await admin(h.emu, 'stats')).json();
    assert.ok(Date.now() - t1 < 140);
  });

  it('throttles every Nth Graph call with 429 and Retry-After', async () => {
    h.emu.setFaults({ throttleEvery: 3, retryAfterSec: 7 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await h.graph('/me/drive/root');
      statuses.push(res.status);
      if (res.status === 429) {
        assert.equal(res.headers.get('retry-after'), '7');
        const body = (await res.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'activityLimitReached');
      } else {
        await res.arrayBuffer();
      }
    }
    assert.deepEqual(statuses, [200, 200, 429, 200, 200, 429, 200]);
    // Token requests and downloads are never throttled.
    assert.equal((await h.refresh()).status, 200);
    const url = await link(); // call 8
    assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
    const s = h.emu.stats();
    assert.equal(s.throttled, 2);
    assert.equal(s.api, 8);
    assert.equal(s.item, 5);
    assert.equal(s.content, 1);
  });

  it('exposes and updates faults and stats through the admin endpoints', async () => {
    let res = await admin(h.emu, 'faults', { method: 'POST', body: JSON.stringify({ throttleEvery: 5 }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { throttleEvery: number }).throttleEvery, 5);
    res = await admin(h.emu, 'faults', { method: 'POST', body: JSON.stringify({ nonsense: 1 }) });
    assert.equal(res.status, 400);
    await res.arrayBuffer();
    await h.graph('/me/drive');
    const stats = (await (await admin(h.emu, 'stats')).json()) as Record<string, number>;
    assert.equal(stats.api, 1);
    assert.equal((await admin(h.emu, 'stats/reset', { method: 'POST' })).status, 204);
    assert.equal(h.emu.stats().api, 0);
  });
});
