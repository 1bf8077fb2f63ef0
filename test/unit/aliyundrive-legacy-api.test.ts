// LegacyApi and DeviceSession against a scripted server: the headers every call carries, the
// session registered again (once, for many refused calls at once) and the call replayed, and the
// stop after three refusals in a row when the service accepts registrations but no call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { LegacyApi } from '../../src/drives/aliyundrive/legacy/api.js';
import { deviceKey } from '../../src/drives/aliyundrive/legacy/device-key.js';
import { Pacer } from '../../src/drives/aliyundrive/pacer.js';
import { TokenSource } from '../../src/drives/token-source.js';
import { HttpClient } from '../../src/http/client.js';
import { DriveError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { tinyServer } from '../helpers/tiny-server.js';

const USER = 'u-1';

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A server whose list call answers `listAnswer(n)`; create_session always succeeds. */
async function scripted(listAnswer: (n: number, body: any) => [number, unknown, Record<string, string>?], pacer = new Pacer({ list: 1000, link: 1000, other: 1000 })) {
  const seen = { creates: 0, lists: 0, exchanges: 0, arrivals: [] as string[], headers: [] as http.IncomingHttpHeaders[], createBodies: [] as any[] };
  const s = await tinyServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      seen.headers.push(req.headers);
      if (req.url === '/v2/account/token') return json(res, 200, { access_token: 'AT', refresh_token: 'RT2', expires_in: 7200 });
      if (req.url === '/users/v1/users/device/create_session') {
        seen.creates++;
        seen.createBodies.push(JSON.parse(raw));
        return json(res, 200, { result: true, success: true, code: null, message: null });
      }
      if (req.url === '/v2/file/list') {
        const b = JSON.parse(raw || '{}');
        seen.arrivals.push(String(b.tag ?? ''));
        const [st, body, headers] = listAnswer(++seen.lists, b);
        return json(res, st, body, headers);
      }
      json(res, 404, { code: 'NotFound' });
    });
  });
  const http_ = new HttpClient({ baseDelayMs: 10 });
  const store = memoryRefreshTokenStore('RT1');
  const tokens = new TokenSource(async () => ({ accessToken: seen.exchanges++ === 0 ? 'AT' : 'AT2', refreshToken: 'RT2', expiresInSec: 7200 }), { remote: 'r', store, log: silentLogger });
  const api = new LegacyApi({ http: http_, tokens, pacer, apiUrl: s.url, store, log: silentLogger, remote: 'r' });
  return { s, api, seen, close: async () => { await http_.close(); await s.close(); } };
}

const REFUSED: [number, unknown] = [400, { code: 'DeviceSessionSignatureInvalid', message: 'Device session signature is invalid.' }];

test('every call carries the bearer, the device pair, a request id and the app headers; create_session sends the key', async () => {
  const t = await scripted(() => [200, { items: [], next_marker: '' }]);
  try {
    await t.api.session.start(USER);
    await t.api.call('/v2/file/list', { drive_id: 'd' }, 'list');
    const k = deviceKey(USER);
    const h = t.seen.headers.at(-1)!;
    assert.equal(h.authorization, 'Bearer AT');
    assert.equal(h['x-device-id'], k.deviceId);
    assert.equal(h['x-signature'], k.signature);
    assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(h['x-canary'], 'client=Android,app=adrive,version=v4.1.0');
    assert.equal(h.origin, 'https://www.alipan.com');
    assert.equal(h.referer, 'https://alipan.com/');
    const b = t.seen.createBodies[0];
    assert.equal(b.pubKey, k.pubKey);
    assert.equal(b.nonce, 0);
    // The newest stored refresh token (the TokenSource saved the rotated one when it refreshed).
    assert.equal(b.refreshToken, 'RT2');
    assert.notEqual(t.seen.headers.at(-1)!['x-request-id'], t.seen.headers.at(-2)!['x-request-id']);
    // Share-namespace calls: a share token instead of the bearer and the device pair.
    await t.api.call('/v2/file/list', {}, 'list', { bearer: false, headers: { 'x-share-token': 'ST' } });
    const bare = t.seen.headers.at(-1)!;
    assert.equal(bare.authorization, undefined);
    assert.equal(bare['x-device-id'], undefined);
    assert.equal(bare['x-signature'], undefined);
    assert.equal(bare['x-share-token'], 'ST');
  } finally {
    await t.close();
  }
});

test('a refused session is registered again once for calls refused together, and each call is replayed', async () => {
  const t = await scripted((n) => (n <= 3 ? REFUSED : [200, { items: [{ name: String(n) }], next_marker: '' }]));
  try {
    await t.api.session.start(USER);
    assert.equal(t.seen.creates, 1);
    const got = await Promise.all([1, 2, 3].map(() => t.api.call<{ items: unknown[] }>('/v2/file/list', {}, 'list')));
    assert.equal(got.length, 3);
    assert.equal(t.seen.creates, 2, 'one registration for the three refused calls');
  } finally {
    await t.close();
  }
});

test('a service that accepts registrations but refuses every call: EACCES (fatal) after three refusals in a row, no loop', async () => {
  const t = await scripted(() => REFUSED);
  try {
    await t.api.session.start(USER);
    let last: unknown;
    for (let i = 0; i < 6; i++) {
      try {
        await t.api.call('/v2/file/list', {}, 'list');
      } catch (e) {
        last = e;
        if (e instanceof DriveError) break;
      }
    }
    assert.ok(last instanceof DriveError, String(last));
    assert.equal(last.code, 'EACCES');
    assert.equal(last.fatal, true);
    assert.match(last.message, /legacy API may be blocked/);
    assert.ok(t.seen.creates <= 4, `registered ${t.seen.creates} times`);
  } finally {
    await t.close();
  }
});

test('an access token refused by its code is refreshed and the call replayed, whatever the status (the facts give only codes)', async () => {
  for (const status of [400, 403, 401]) {
    const t = await scripted((n) => (n === 1 ? [status, { code: 'AccessTokenInvalid', message: 'AccessToken is invalid.' }] : [200, { items: [], next_marker: '' }]));
    try {
      await t.api.session.start(USER);
      await t.api.call('/v2/file/list', {}, 'list');
      assert.equal(t.seen.lists, 2, `status ${status}: replayed once`);
      assert.equal(t.seen.exchanges, 2, `status ${status}: a fresh token was fetched`);
      assert.equal(t.seen.headers.at(-1)!.authorization, 'Bearer AT2');
    } finally {
      await t.close();
    }
  }
});

test('the pacer gives a slot per attempt: a call waiting to retry a 429 does not hold its slot', async () => {
  // One list call per window: "a" meets a 429 asking for 1.6 s; "b" must go in that wait, not after it.
  const t = await scripted(
    (n) => (n === 1 ? [429, { code: 'TooManyRequests', message: 'slow down' }, { 'x-retry-after': '1600' }] : [200, { items: [], next_marker: '' }]),
    new Pacer({ list: 1, link: 1, other: 1000 }),
  );
  try {
    await t.api.session.start(USER);
    const a = t.api.call('/v2/file/list', { tag: 'a' }, 'list');
    await new Promise((r) => setTimeout(r, 50));
    const b = t.api.call('/v2/file/list', { tag: 'b' }, 'list');
    await Promise.all([a, b]);
    assert.deepEqual(t.seen.arrivals, ['a', 'b', 'a'], 'b went while a waited for its retry');
  } finally {
    await t.close();
  }
});
