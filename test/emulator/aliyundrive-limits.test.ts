// Aliyundrive emulator: the documented per-user rate limits (list 4/s,
// getDownloadUrl 1/s, others 15/s) and injected throttling, both answered
// with 429 TooManyRequests and x-retry-after in milliseconds.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type AliHarness, sleep, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';

describe('Aliyundrive emulator: rate limits', () => {
  let h: AliHarness;
  let drive: string;

  before(async () => {
    h = await startAliHarness({ faults: { enforceRateLimits: true } }, async (root) => {
      await writeFile(path.join(root, 'a.txt'), 'a');
    });
    drive = h.emu.driveIds.resource;
  });
  after(async () => {
    await h.close();
  });
  beforeEach(async () => {
    h.emu.setFaults({ enforceRateLimits: true, throttleEvery: 0 });
    await sleep(1050); // let every sliding window empty
    h.emu.resetStats();
  });

  const list = () => h.api('openFile/list', { drive_id: drive, parent_file_id: 'root' });

  it('allows 4 list calls a second, then 429 with x-retry-after in ms', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await list()).status);
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    const r = await list();
    assert.equal(r.status, 429);
    assert.equal(r.body.code, 'TooManyRequests');
    const wait = Number(r.headers.get('x-retry-after'));
    assert.ok(wait >= 1 && wait <= 1000, `x-retry-after ${wait}`);
    // Other APIs have their own budget.
    assert.equal((await h.api('user/getDriveInfo')).status, 200);
    await sleep(wait + 20);
    assert.equal((await list()).status, 200);
    const s = h.emu.stats();
    assert.equal(s.throttled, 1);
    assert.equal(s.rateLimited, 1);
    assert.equal(s.list, 6);
  });

  it('allows 1 getDownloadUrl a second and 15 other calls a second', async () => {
    const id = (await list()).body.items[0].file_id;
    const link = () => h.api('openFile/getDownloadUrl', { drive_id: drive, file_id: id });
    assert.equal((await link()).status, 200);
    const r = await link();
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('x-retry-after')) > 0);
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) statuses.push((await h.api('user/getSpaceInfo')).status);
    assert.deepEqual(statuses.slice(0, 15), new Array(15).fill(200));
    assert.equal(statuses[15], 429);
    assert.equal(h.emu.stats().rateLimited, 2);
  });

  it('injects throttling every Nth call with the configured x-retry-after', async () => {
    h.emu.setFaults({ enforceRateLimits: false, throttleEvery: 3, retryAfterMs: 250 });
    const got = [];
    for (let i = 0; i < 6; i++) {
      const r = await h.api('user/getDriveInfo');
      got.push(r.status === 429 ? r.headers.get('x-retry-after') : r.status);
    }
    assert.deepEqual(got, [200, 200, '250', 200, 200, '250']);
    assert.equal(h.emu.stats().throttled, 2);
    assert.equal(h.emu.stats().rateLimited, 0);
    // Token, download and admin requests are never throttled.
    assert.equal((await h.refresh()).status, 200);
  });
});
