// Aliyundrive emulator: the Open Platform QR login (code request, status
// polling, the phone's page, the authorization_code exchange) and
// GET /oauth/users/info.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type AliHarness, type JsonAnswer, sleep, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';

describe('Aliyundrive emulator: QR login and user info', () => {
  let h: AliHarness;

  before(async () => {
    h = await startAliHarness();
  });
  after(async () => {
    await h.close();
  });
  beforeEach(async () => {
    h.emu.setFaults({ qrCodeTtlSec: 180, accessTokenTtlSec: 7200, accountState: 'normal', enforceRateLimits: false });
    // A test may have revoked the app: sign in again so h.api works.
    if ((await h.api('user/getDriveInfo')).status !== 200) {
      h.refreshToken = (await (await fetch(`${h.emu.url}/_emulator/refresh-token`, { method: 'POST' })).json()).refresh_token;
      assert.equal((await h.refresh()).status, 200);
    }
    h.emu.resetStats();
  });

  const post = (url: string, body: unknown): Promise<JsonAnswer> =>
    h.fetchJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const qrCode = (body: Record<string, unknown> = {}) =>
    post(`${h.emu.url}/oauth/authorize/qrcode`, {
      client_id: h.emu.clientId,
      client_secret: h.emu.clientSecret,
      scopes: ['user:base', 'file:all:read', 'file:all:write'],
      width: 430,
      height: 430,
      ...body,
    });
  const newSid = async (): Promise<string> => {
    const r = await qrCode();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.sid;
  };
  const status = (sid: string) => h.fetchJson(`${h.emu.url}/oauth/qrcode/${sid}/status`);
  const page = (sid: string) => `${h.emu.url}/o/oauth/authorize?sid=${sid}`;
  /** The phone: GET opens the page (the scan); an action presses confirm or cancel. */
  const phone = (sid: string, action?: 'confirm' | 'cancel') =>
    h.fetchJson(action ? `${page(sid)}&action=${action}` : page(sid), action ? { method: 'POST' } : undefined);
  const exchange = (code: string) =>
    post(`${h.emu.url}/oauth/access_token`, {
      client_id: h.emu.clientId,
      client_secret: h.emu.clientSecret,
      grant_type: 'authorization_code',
      code,
    });
  const userInfo = (token: string | null, init: RequestInit = {}) =>
    h.fetchJson(`${h.emu.url}/oauth/users/info`, token === null ? init : { ...init, headers: { authorization: `Bearer ${token}` } });

  it('runs the whole flow: code, scan, confirm, authCode, tokens that work, a code used once', async () => {
    const r = await qrCode();
    assert.equal(r.status, 200);
    const { sid, qrCodeUrl } = r.body;
    assert.match(sid, /^[0-9a-f]{40}$/);
    assert.equal(qrCodeUrl, `${h.emu.url}/oauth/qrcode/${sid}`);

    // The "image" is the URL the code holds: the phone page.
    const img = await fetch(qrCodeUrl);
    assert.equal(img.status, 200);
    assert.match(img.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await img.text(), page(sid));

    assert.deepEqual((await status(sid)).body, { status: 'WaitLogin' });
    const opened = await phone(sid);
    assert.equal(opened.status, 200);
    assert.match(opened.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(opened.body, /action=confirm/);
    assert.match(opened.body, /action=cancel/);
    assert.match(opened.body, /file:all:read/);
    assert.deepEqual((await status(sid)).body, { status: 'ScanSuccess' });

    const confirmed = await phone(sid, 'confirm');
    assert.equal(confirmed.status, 200);
    assert.match(confirmed.body, /Authorised/);
    const success = await status(sid);
    assert.equal(success.status, 200);
    assert.equal(success.body.status, 'LoginSuccess');
    assert.ok(success.body.authCode);
    assert.deepEqual((await status(sid)).body, success.body, 'the same code on every poll until it is used');

    const tokens = await exchange(success.body.authCode);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(tokens.body.token_type, 'Bearer');
    assert.ok(tokens.body.refresh_token);
    const drive = await h.api('user/getDriveInfo', {}, tokens.body.access_token);
    assert.equal(drive.status, 200);
    const me = await userInfo(tokens.body.access_token);
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { id: drive.body.user_id, name: drive.body.name, avatar: '', phone: '' });

    const again = await exchange(success.body.authCode);
    assert.equal(again.status, 400);
    assert.equal(again.body.code, 'InvalidCode');
    // Once the code is spent the service has nothing left for that sid.
    assert.deepEqual((await status(sid)).body, { status: 'QRCodeExpired' });
    assert.equal((await phone(sid, 'confirm')).status, 400);

    const s = h.emu.stats();
    assert.equal(s.qrCode, 1);
    assert.equal(s.qrImage, 1);
    assert.equal(s.qrStatus, 5);
    assert.equal(s.qrPhone, 3);
    assert.equal(s.userInfo, 1);
    assert.equal(s.token, 2);
    assert.equal(s.api, 1, 'users/info is not counted as an /adrive/v1.0 call');
  });

  it('cancel on the phone answers LoginFailed, and the page refuses anything more', async () => {
    const sid = await newSid();
    assert.equal((await phone(sid)).status, 200);
    const cancelled = await phone(sid, 'cancel');
    assert.equal(cancelled.status, 200);
    assert.deepEqual((await status(sid)).body, { status: 'LoginFailed' });
    for (const again of [await phone(sid, 'confirm'), await phone(sid, 'cancel'), await phone(sid)]) {
      assert.equal(again.status, 400);
      assert.match(again.body, /already been used/);
    }
    h.emu.setFaults({ qrCodeTtlSec: 0 }); // a settled login does not turn into QRCodeExpired
    assert.deepEqual((await status(sid)).body, { status: 'LoginFailed' });
  });

  it('a second confirm is refused and LoginSuccess outlives the QR code TTL', async () => {
    const sid = await newSid();
    await phone(sid);
    assert.equal((await phone(sid, 'confirm')).status, 200);
    const second = await phone(sid, 'confirm');
    assert.equal(second.status, 400);
    assert.match(second.headers.get('content-type') ?? '', /^text\/html/);
    h.emu.setFaults({ qrCodeTtlSec: 0 });
    const r = await status(sid);
    assert.equal(r.body.status, 'LoginSuccess');
    assert.equal((await exchange(r.body.authCode)).status, 200);
  });

  it('expires logins not confirmed within qrCodeTtlSec; the phone then refuses', async () => {
    h.emu.setFaults({ qrCodeTtlSec: 1 });
    const waiting = await newSid();
    const scanned = await newSid();
    assert.equal((await phone(scanned)).status, 200);
    assert.deepEqual((await status(waiting)).body, { status: 'WaitLogin' });
    assert.deepEqual((await status(scanned)).body, { status: 'ScanSuccess' });
    await sleep(1100);
    for (const sid of [waiting, scanned]) {
      assert.deepEqual((await status(sid)).body, { status: 'QRCodeExpired' });
      const opened = await phone(sid);
      assert.equal(opened.status, 400);
      assert.match(opened.body, /expired/);
      assert.equal((await phone(sid, 'confirm')).status, 400);
    }
  });

  it('an unknown sid is QRCodeExpired, and the phone page refuses it', async () => {
    const sid = 'f'.repeat(40);
    const r = await status(sid);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'QRCodeExpired' });
    assert.equal((await phone(sid)).status, 400);
    assert.equal((await phone(sid, 'confirm')).status, 400);
    assert.equal((await h.fetchJson(`${h.emu.url}/o/oauth/authorize`)).status, 400, 'no sid at all');
  });

  it('confirm or cancel before the page was opened is refused (a scan comes first)', async () => {
    const sid = await newSid();
    for (const action of ['confirm', 'cancel'] as const) {
      const r = await phone(sid, action);
      assert.equal(r.status, 400);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(r.body, /Scan the QR code first/);
    }
    assert.deepEqual((await status(sid)).body, { status: 'WaitLogin' });
    const unknownAction = await h.fetchJson(`${page(sid)}&action=maybe`, { method: 'POST' });
    assert.equal(unknownAction.status, 400);
    // The refusals changed nothing: the login still works.
    await phone(sid);
    assert.equal((await phone(sid, 'confirm')).status, 200);
    assert.equal((await status(sid)).body.status, 'LoginSuccess');
  });

  it('refuses QR code requests from bad clients or without scopes, in the platform error format', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ client_id: undefined }, 400, 'InvalidParameterMissing'],
      [{ client_secret: undefined }, 400, 'InvalidParameterMissing'],
      [{ client_id: 'nope' }, 400, 'AppNotExists'],
      [{ client_secret: 'wrong' }, 401, 'InvalidClientSecret'],
      [{ scopes: undefined }, 400, 'InvalidParameter.Scopes'],
      [{ scopes: [] }, 400, 'InvalidParameter.Scopes'],
      [{ scopes: 'user:base' }, 400, 'InvalidParameter.Scopes'],
      [{ scopes: ['user:base', 7] }, 400, 'InvalidParameter.Scopes'],
    ];
    for (const [body, code, name] of cases) {
      const r = await qrCode(body);
      assert.equal(r.status, code, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, name);
      assert.ok(r.body.message);
      assert.ok(r.body.requestId);
      assert.equal(r.body.sid, undefined);
    }
    const notJson = await post(`${h.emu.url}/oauth/authorize/qrcode`, 'not json');
    assert.equal(notJson.body.code, 'InvalidParameterMissing');
    const get = await h.fetchJson(`${h.emu.url}/oauth/authorize/qrcode`);
    assert.equal(get.status, 405);
    assert.equal(h.emu.stats().qrCode, cases.length + 2);
  });

  it('revoking the app forgets QR logins under way and their codes', async () => {
    const pending = await newSid();
    await phone(pending);
    const done = await newSid();
    await phone(done);
    await phone(done, 'confirm');
    const { authCode } = (await status(done)).body;
    assert.ok(authCode);

    assert.equal((await fetch(`${h.emu.url}/_emulator/revoke`, { method: 'POST' })).status, 204);
    for (const sid of [pending, done]) {
      assert.deepEqual((await status(sid)).body, { status: 'QRCodeExpired' });
      assert.equal((await phone(sid, 'confirm')).status, 400);
    }
    assert.equal((await exchange(authCode)).body.code, 'InvalidCode');
    // A new login after the revocation works.
    const sid = await newSid();
    await phone(sid);
    await phone(sid, 'confirm');
    assert.equal((await exchange((await status(sid)).body.authCode)).status, 200);
  });

  it('users/info checks the bearer token like the API, and counts in the 15/s bucket', async () => {
    assert.equal((await userInfo(h.accessToken)).status, 200);
    let r = await userInfo(null);
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'AccessTokenInvalid');
    r = await userInfo('garbage');
    assert.equal(r.body.code, 'AccessTokenInvalid');
    r = await userInfo(h.accessToken, { method: 'POST' });
    assert.equal(r.status, 405);

    h.emu.setFaults({ accountState: 'frozen' });
    r = await userInfo(h.accessToken);
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'UserNotAllowedAccessResource');
    h.emu.setFaults({ accountState: 'normal' });

    h.emu.setFaults({ accessTokenTtlSec: 1 });
    assert.equal((await h.refresh()).status, 200);
    await sleep(1100);
    r = await userInfo(h.accessToken);
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'AccessTokenExpired');
    h.emu.setFaults({ accessTokenTtlSec: 7200 });
    assert.equal((await h.refresh()).status, 200);

    // The windows are empty: nothing above ran with rate limits on.
    h.emu.setFaults({ enforceRateLimits: true });
    const answers = [];
    for (let i = 0; i < 16; i++) answers.push((await userInfo(h.accessToken)).status);
    assert.deepEqual(answers, [...Array(15).fill(200), 429]);
    assert.equal((await h.api('user/getDriveInfo')).status, 429, 'the same bucket as the other API calls');

    const s = h.emu.stats();
    assert.equal(s.userInfo, 22);
    assert.equal(s.unauthorized, 3);
    assert.equal(s.frozenRefused, 1);
    assert.equal(s.rateLimited, 2);
  });
});
