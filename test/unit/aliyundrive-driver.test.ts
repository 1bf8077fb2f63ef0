import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseAliyundriveConfig } from '../../src/drives/aliyundrive/open/config.js';
import { Pacer } from '../../src/drives/aliyundrive/pacer.js';
import { partSizeFor, proofCode } from '../../src/drives/aliyundrive/upload.js';

const MiB = 1 << 20;

test('config: own app or online renew API, defaults as the seed documents, clear errors', () => {
  const c = parseAliyundriveConfig('a', { type: 'aliyundrive-open', refreshToken: 'r', clientId: 'i', clientSecret: 's' });
  assert.equal(c.apiUrl, 'https://openapi.alipan.com');
  assert.equal(c.rootFolderId, 'root');
  assert.equal(c.driveType, 'default');
  assert.equal(c.removeWay, 'trash');
  assert.equal(c.livpFormat, 'jpeg');
  assert.equal(c.rapidUpload, false);
  assert.equal(c.maxConcurrentDownloads, 3);
  assert.equal(parseAliyundriveConfig('a', { type: 'aliyundrive-open', refreshToken: 'r', renewApiUrl: 'https://x/renewapi' }).renewApiUrl, 'https://x/renewapi');
  assert.throws(() => parseAliyundriveConfig('a', { type: 'aliyundrive-open', refreshToken: 'r' }), /"clientId" and "clientSecret" .* or "renewApiUrl"/);
  assert.throws(() => parseAliyundriveConfig('a', { type: 'aliyundrive-open', refreshToken: 'r', clientId: 'i' }), /set both "clientId" and "clientSecret"/);
  assert.throws(() => parseAliyundriveConfig('a', { type: 'aliyundrive-open', refreshToken: 'r', renewApiUrl: 'https://x', driveType: 'music' }), /"driveType" is "music"/);
  assert.throws(() => parseAliyundriveConfig('a', { type: 'aliyundrive-open', refreshToken: 'r', renewApiUrl: 'https://x', rapidUpload: 'yes' }), /"rapidUpload" must be true or false/);
});

test('pacing keeps each class within its documented rate', async () => {
  const p = new Pacer({ list: 4, link: 1, other: 15 });
  const t0 = Date.now();
  const starts: number[] = [];
  for (let i = 0; i < 9; i++) {
    const done = await p.take('list');
    starts.push(Date.now() - t0);
    done(); // answered at once
  }
  // 9 list calls at 4/s: the 5th waits for the first (1.1 s) window to pass, the 9th for the second.
  assert.ok(starts[3]! < 200, `${starts}`);
  assert.ok(starts[4]! >= 1090, `${starts}`);
  assert.ok(starts[8]! >= 2190, `${starts}`);
  // No second-long stretch anywhere holds more than 4 starts.
  for (const a of starts) assert.ok(starts.filter((s) => s >= a && s < a + 1000).length <= 4, `${starts}`);
  // Another class is not held up by the list class.
  const t1 = Date.now();
  await p.take('other');
  assert.ok(Date.now() - t1 < 50);
});

test('pacing counts a call until a window after its answer: a slow answer holds its slot', async () => {
  const p = new Pacer({ list: 1, link: 1, other: 1 });
  const t0 = Date.now();
  const done = await p.take('link');
  setTimeout(done, 300); // the service may count this call as late as its answer
  await p.take('link');
  assert.ok(Date.now() - t0 >= 1390, `the second call started ${Date.now() - t0} ms after the first`);
});

test('parts are 20 MiB, larger for huge files so there are at most 10,000', () => {
  assert.equal(partSizeFor(1), 20 * MiB);
  assert.equal(partSizeFor(10_000 * 20 * MiB), 20 * MiB);
  assert.equal(partSizeFor(10_000 * 20 * MiB + 1), 40 * MiB);
  assert.ok(Math.ceil((1.5 * 1024 ** 4) / partSizeFor(1.5 * 1024 ** 4)) <= 10_000);
});

test('the rapid-upload proof follows the protocol: 8 bytes chosen by md5(access token)', async () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const token = 'an-access-token';
  const r = BigInt('0x' + createHash('md5').update(token).digest('hex').slice(0, 16));
  const start = Number(r % 1000n);
  const expected = data.subarray(start, Math.min(start + 8, 1000)).toString('base64');
  const src = { size: data.length, read: async (o: number, l: number) => data.subarray(o, o + l) };
  assert.equal(await proofCode(token, src), expected);
  // A file shorter than 8 bytes from the chosen start gives fewer bytes, never past the end.
  const tiny = Buffer.from('abc');
  assert.equal(Buffer.from(await proofCode(token, { size: 3, read: async (o, l) => tiny.subarray(o, o + l) }), 'base64').length <= 3, true);
});
