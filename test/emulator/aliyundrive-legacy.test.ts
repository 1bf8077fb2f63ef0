// Aliyundrive emulator: the legacy API — token kinds and rotation, device
// sessions (signatures verified, refused, expiring), Referer-checked links,
// the batch endpoint, listing pages of 200 and /v2/user/get without a session.

import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';

import { deviceKey, signedMessage } from '../../src/drives/aliyundrive/legacy/device-key.js';
import { type AliHarness, sleep, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';

const N = secp256k1.Point.CURVE().n;
const REFERER = 'https://www.alipan.com/';

describe('Aliyundrive emulator: legacy API', () => {
  let h: AliHarness;
  let rt = '';
  let at = '';
  let userId = '';
  let drive = '';

  async function post(p: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const r = await h.fetchJson(`${h.emu.url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-canary': 'client=Android,app=adrive,version=v4.1.0', 'x-request-id': randomUUID(), ...headers },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: r.body };
  }
  async function refresh(): Promise<{ status: number; body: any }> {
    const r = await post('/v2/account/token', { refresh_token: rt, grant_type: 'refresh_token' });
    if (r.status === 200) {
      rt = r.body.refresh_token;
      at = r.body.access_token;
    }
    return r;
  }
  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${at}` });
  function device(): Record<string, string> {
    const k = deviceKey(userId);
    return { ...bearer(), 'x-device-id': k.deviceId, 'x-signature': k.signature };
  }
  async function register(headers = device(), body: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
    const k = deviceKey(userId);
    return post('/users/v1/users/device/create_session', { deviceName: 't', modelName: 'm', nonce: 0, pubKey: k.pubKey, refreshToken: rt, ...body }, headers);
  }
  const call = (p: string, body: unknown) => post(p, body, device());

  before(async () => {
    h = await startAliHarness({}, async (root) => {
      await mkdir(path.join(root, 'many'));
      for (let i = 0; i < 450; i++) await writeFile(path.join(root, 'many', `f${String(i).padStart(3, '0')}`), 'x');
      await writeFile(path.join(root, 'data.bin'), Buffer.alloc(1000, 7));
      await mkdir(path.join(root, 'dst'));
    });
    rt = h.emu.legacyRefreshToken;
    const r = await refresh();
    assert.equal(r.status, 200);
    userId = r.body.user_id;
    drive = r.body.default_drive_id;
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.setFaults({ deviceSessionTtlSec: 86_400, refuseDeviceSessions: false });
    h.emu.resetStats();
  });

  it('legacy refresh tokens rotate and are single use; the two kinds do not mix', async () => {
    const old = rt;
    assert.equal((await refresh()).status, 200);
    const again = await post('/v2/account/token', { refresh_token: old, grant_type: 'refresh_token' });
    assert.equal(again.status, 400);
    assert.equal(again.body.code, 'InvalidParameter.RefreshToken');
    // A legacy refresh token is no Open refresh token, and a legacy access token opens no Open route.
    const open = await post('/oauth/access_token', { client_id: h.emu.clientId, client_secret: h.emu.clientSecret, grant_type: 'refresh_token', refresh_token: rt });
    assert.equal(open.status, 400);
    assert.equal((await h.api('user/getDriveInfo', {}, at)).status, 401);
    // …and an Open access token opens no legacy route.
    assert.equal((await post('/v2/user/get', {}, { authorization: `Bearer ${h.accessToken}` })).status, 401);
    assert.equal((await post('/v2/account/token', { grant_type: 'refresh_token' })).body.code, 'InvalidParameterMissing');
  });

  it('/v2/user/get answers with the bearer alone; other calls need a registered device', async () => {
    const u = await post('/v2/user/get', {}, bearer());
    assert.equal(u.status, 200);
    assert.equal(u.body.user_id, userId);
    // An unknown device (whatever sessions earlier cases registered) is refused.
    const r = await post('/v2/file/list', { drive_id: drive, parent_file_id: 'root' }, { ...bearer(), 'x-device-id': 'unknown', 'x-signature': deviceKey(userId).signature });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'DeviceSessionSignatureInvalid');
  });

  it('create_session accepts a good signature; the session then opens the API', async () => {
    const r = await register();
    assert.equal(r.status, 200);
    assert.equal(r.body.result, true);
    assert.equal((await call('/v2/file/list', { drive_id: drive, parent_file_id: 'root' })).status, 200);
    assert.equal(h.emu.stats().deviceSessionCreated, 1);
  });

  it('create_session refuses high-S, a wrong v, a wrong key, a 04-prefixed key, nonce ≠ 0 and a spent refresh token', async () => {
    const k = deviceKey(userId);
    const sig = Buffer.from(k.signature, 'hex');
    const s = BigInt('0x' + sig.subarray(32, 64).toString('hex'));
    const highS = Buffer.concat([sig.subarray(0, 32), Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), Buffer.of(sig[64]! ^ 1)]).toString('hex');
    const wrongV = Buffer.concat([sig.subarray(0, 64), Buffer.of(sig[64]! ^ 1)]).toString('hex');
    const v27 = Buffer.concat([sig.subarray(0, 64), Buffer.of(sig[64]! + 27)]).toString('hex');
    const other = deviceKey(userId + '-other');
    for (const [why, headers, body] of [
      ['high-S', { ...device(), 'x-signature': highS }, {}],
      ['wrong v', { ...device(), 'x-signature': wrongV }, {}],
      ['v as 27/28', { ...device(), 'x-signature': v27 }, {}],
      ['signed by another key', { ...device(), 'x-signature': other.signature }, {}],
      ['pubKey of another key', device(), { pubKey: other.pubKey }],
      ['04-prefixed pubKey', device(), { pubKey: '04' + k.pubKey }],
      ['no signature', { ...bearer(), 'x-device-id': k.deviceId }, {}],
    ] as const) {
      const r = await register(headers as Record<string, string>, body);
      assert.equal(r.status, 400, why);
      assert.equal(r.body.code, 'DeviceSessionSignatureInvalid', why);
    }
    assert.equal((await register(device(), { nonce: 1 })).status, 400);
    const spent = rt;
    await refresh();
    assert.equal((await register(device(), { refreshToken: spent })).status, 400);
    assert.equal(h.emu.stats().deviceSessionCreated, 0);
    // The signature the verifier refuses as high-S is still a valid ECDSA signature otherwise (the test is honest).
    const digest = createHash('sha256').update(signedMessage(k.deviceId, userId)).digest();
    assert.equal(secp256k1.verify(Buffer.from(highS, 'hex').subarray(0, 64), digest, Buffer.from('04' + k.pubKey, 'hex'), { prehash: false, lowS: false }), true);
  });

  it('device ids and keys must be the derived ones (hex sha256(user_id), that value as the key); the app headers are required', async () => {
    // A self-consistent device of another id: its own key, its own valid signature over its id.
    const other = deviceKey(userId + '-other');
    const selfSigned = { ...bearer(), 'x-device-id': other.deviceId, 'x-signature': other.signature };
    const r1 = await register(selfSigned, { pubKey: other.pubKey });
    assert.equal(r1.status, 400, 'a device id not derived from the user');
    assert.equal(r1.body.code, 'DeviceSessionSignatureInvalid');
    assert.equal((await post('/v2/file/list', { drive_id: drive, parent_file_id: 'root' }, selfSigned)).status, 400);
    // The app's headers: a call without x-canary, or with a request id that is no UUID, is refused.
    assert.equal((await register()).status, 200);
    const noCanary = await h.fetchJson(`${h.emu.url}/v2/file/list`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': randomUUID(), ...device() }, body: JSON.stringify({ drive_id: drive, parent_file_id: 'root' }),
    });
    assert.equal(noCanary.status, 400);
    assert.equal((await post('/v2/file/list', { drive_id: drive, parent_file_id: 'root' }, { ...device(), 'x-request-id': 'not-a-uuid' })).status, 400);
    assert.equal((await post('/v2/file/list', { drive_id: drive, parent_file_id: 'root' }, device())).status, 200);
  });

  it('a session expires; refuseDeviceSessions answers result false; dropping sessions refuses the next call', async () => {
    h.emu.setFaults({ deviceSessionTtlSec: 1 });
    assert.equal((await register()).status, 200);
    assert.equal((await call('/v2/file/get', { drive_id: drive, file_id: 'root' })).status, 200);
    await sleep(1100);
    const r = await call('/v2/file/get', { drive_id: drive, file_id: 'root' });
    assert.equal(r.body.code, 'DeviceSessionSignatureInvalid');
    h.emu.setFaults({ deviceSessionTtlSec: 86_400, refuseDeviceSessions: true });
    const refused = await register();
    assert.equal(refused.status, 200);
    assert.equal(refused.body.result, false);
    h.emu.setFaults({ refuseDeviceSessions: false });
    assert.equal((await register()).body.result, true);
    await h.fetchJson(`${h.emu.url}/_emulator/device-sessions/drop`, { method: 'POST' });
    assert.equal((await call('/v2/file/get', { drive_id: drive, file_id: 'root' })).body.code, 'DeviceSessionSignatureInvalid');
  });

  it('legacy links need the Referer https://www.alipan.com/', async () => {
    await register();
    const items = (await call('/v2/file/list', { drive_id: drive, parent_file_id: 'root', limit: 200 })).body.items;
    const f = items.find((i: any) => i.name === 'data.bin');
    const l = await call('/v2/file/get_download_url', { drive_id: drive, file_id: f.file_id, expire_sec: 14400 });
    assert.equal(l.status, 200);
    assert.equal(l.body.size, 1000);
    const bare = await fetch(l.body.url);
    assert.equal(bare.status, 403);
    assert.match(await bare.text(), /referer policy/);
    const other = await fetch(l.body.url, { headers: { referer: 'https://alipan.com/' } });
    assert.equal(other.status, 403);
    await other.arrayBuffer();
    const ok = await fetch(l.body.url, { headers: { referer: REFERER } });
    assert.equal(ok.status, 200);
    assert.equal((await ok.arrayBuffer()).byteLength, 1000);
    assert.equal(h.emu.stats().refererRefused, 2);
  });

  it('listing pages hold up to 200 items, then next_marker', async () => {
    await register();
    const many = (await call('/v2/file/list', { drive_id: drive, parent_file_id: 'root' })).body.items.find((i: any) => i.name === 'many');
    const names: string[] = [];
    let marker = '';
    let pages = 0;
    do {
      const p = await call('/v2/file/list', { drive_id: drive, parent_file_id: many.file_id, limit: 500, marker, fields: '*', order_by: 'name', order_direction: 'ASC' });
      assert.equal(p.status, 200);
      assert.ok(p.body.items.length <= 200);
      names.push(...p.body.items.map((i: any) => i.name));
      marker = p.body.next_marker;
      pages++;
    } while (marker);
    assert.equal(pages, 3);
    assert.equal(names.length, 450);
    assert.deepEqual(names, [...names].sort());
  });

  it('/v3/batch answers 200 with a status per sub-request', async () => {
    await register();
    const items = (await call('/v2/file/list', { drive_id: drive, parent_file_id: 'root' })).body.items;
    const f = items.find((i: any) => i.name === 'data.bin');
    const dst = items.find((i: any) => i.name === 'dst');
    const sub = (id: string, url: string, body: unknown) => ({ id, method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body });
    const r = await call('/v3/batch', {
      resource: 'file',
      requests: [
        sub('a', '/file/move', { drive_id: drive, file_id: f.file_id, to_drive_id: drive, to_parent_file_id: dst.file_id }),
        sub('b', '/file/move', { drive_id: drive, file_id: 'nope', to_drive_id: drive, to_parent_file_id: dst.file_id }),
        sub('c', '/file/nothing', {}),
      ],
    });
    assert.equal(r.status, 200);
    const by = Object.fromEntries(r.body.responses.map((x: any) => [x.id, x]));
    assert.equal(by.a.status, 200);
    assert.equal(by.b.status, 404);
    assert.equal(by.b.body.code, 'NotFound.File');
    assert.equal(by.c.status, 404);
    const moved = await call('/v2/file/get', { drive_id: drive, file_id: f.file_id });
    assert.equal(moved.body.parent_file_id, dst.file_id);
    // No permanent delete is established for this API: a batch /file/delete is an unknown url, and the file stays.
    const del = await call('/v3/batch', { resource: 'file', requests: [sub('d', '/file/delete', { drive_id: drive, file_id: f.file_id })] });
    assert.equal(del.body.responses[0].status, 404);
    assert.equal((await call('/v2/file/get', { drive_id: drive, file_id: f.file_id })).status, 200);
    assert.equal((await call('/v3/file/delete', { drive_id: drive, file_id: f.file_id })).status, 404, 'no /v3/file/delete route');
    assert.equal((await call('/v2/file/get', { drive_id: drive, file_id: f.file_id })).status, 200);
  });
});
