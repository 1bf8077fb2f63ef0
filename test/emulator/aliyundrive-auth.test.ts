// Aliyundrive emulator: tokens (rotation, expiry, revocation), the online
// renew API, drive and space info, account states and admin endpoints.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type AliHarness, sleep, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';
import { startAliyundriveEmulator } from '../../src/emulators/aliyundrive/server.js';

describe('Aliyundrive emulator: auth, drives and account', () => {
  let h: AliHarness;

  before(async () => {
    h = await startAliHarness({}, async (root, backupRoot) => {
      await writeFile(path.join(root, 'a.txt'), 'hello');
      await writeFile(path.join(backupRoot, 'b.bin'), Buffer.alloc(1000, 7));
    });
  });
  after(async () => {
    await h.close();
  });
  beforeEach(async () => {
    h.emu.setFaults({ accessTokenTtlSec: 7200, accountState: 'normal', quotaTotal: 1024 ** 4 });
    if (h.accessToken === '' || (await h.api('user/getDriveInfo')).status !== 200) {
      h.refreshToken = (await (await fetch(`${h.emu.url}/_emulator/refresh-token`, { method: 'POST' })).json()).refresh_token;
      assert.equal((await h.refresh()).status, 200);
    }
    h.emu.resetStats();
  });

  const tokenCall = (body: Record<string, unknown>) =>
    h.fetchJson(`${h.emu.url}/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: h.emu.clientId, client_secret: h.emu.clientSecret, grant_type: 'refresh_token', ...body }),
    });

  it('rotates single-use refresh tokens (JWTs whose sub is the user id)', async () => {
    const old = h.refreshToken;
    const r = await h.refresh();
    assert.equal(r.status, 200);
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.expires_in, 7200);
    assert.notEqual(r.body.refresh_token, old);
    assert.equal(r.body.refresh_token.split('.').length, 3);
    const sub = JSON.parse(Buffer.from(r.body.refresh_token.split('.')[1], 'base64url').toString()).sub;
    const info = await h.api('user/getDriveInfo');
    assert.equal(info.status, 200);
    assert.equal(sub, info.body.user_id);

    const again = await tokenCall({ refresh_token: old });
    assert.equal(again.status, 400);
    assert.equal(again.body.code, 'RefreshTokenInvalid');
    assert.ok(again.body.requestId);
    const s = h.emu.stats();
    assert.equal(s.token, 2);
    assert.equal(s.tokenError, 1);
  });

  it('refuses bad clients, grant types and missing fields', async () => {
    let r = await tokenCall({ client_id: 'nope', refresh_token: h.refreshToken });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'AppNotExists');
    r = await tokenCall({ client_secret: 'wrong', refresh_token: h.refreshToken });
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'InvalidClientSecret');
    r = await tokenCall({ grant_type: 'password', refresh_token: h.refreshToken });
    assert.equal(r.body.code, 'InvalidGrantType');
    r = await tokenCall({});
    assert.equal(r.body.code, 'InvalidParameterMissing');
    // None of those consumed the refresh token.
    assert.equal((await h.refresh()).status, 200);
  });

  it('expires access tokens and rejects unknown ones with 401', async () => {
    h.emu.setFaults({ accessTokenTtlSec: 1 });
    assert.equal((await h.refresh()).body.expires_in, 1);
    assert.equal((await h.api('user/getDriveInfo')).status, 200);
    await sleep(1100);
    let r = await h.api('user/getDriveInfo');
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'AccessTokenExpired');
    r = await h.api('user/getDriveInfo', {}, 'garbage');
    assert.equal(r.status, 401);
    assert.equal(r.body.code, 'AccessTokenInvalid');
    const s = h.emu.stats();
    assert.equal(s.unauthorized, 2);
    assert.equal(s.api, 3);
    assert.equal(s.driveInfo, 3);
  });

  it('revoking the app kills every token; a new authorisation works again', async () => {
    const res = await fetch(`${h.emu.url}/_emulator/revoke`, { method: 'POST' });
    assert.equal(res.status, 204);
    assert.equal((await h.api('user/getDriveInfo')).body.code, 'AccessTokenInvalid');
    const r = await h.refresh();
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'PermissionDenied');
  });

  it('serves the online renew API, which rotates tokens too', async () => {
    const renew = (rt: string | null, extra = '&server_use=true&driver_txt=alicloud_qr') =>
      h.fetchJson(`${h.emu.renewApiUrl}?${rt === null ? '' : `refresh_ui=${encodeURIComponent(rt)}`}${extra}`);
    const old = h.refreshToken;
    let r = await renew(old);
    assert.equal(r.status, 200);
    assert.equal(r.body.text, '');
    assert.ok(r.body.access_token);
    assert.ok(r.body.refresh_token && r.body.refresh_token !== old);
    assert.equal((await h.api('user/getDriveInfo', {}, r.body.access_token)).status, 200);
    h.refreshToken = r.body.refresh_token;
    h.accessToken = r.body.access_token;

    r = await renew(old); // already used
    assert.equal(r.status, 500);
    assert.equal(r.body.refresh_token, '');
    assert.equal(r.body.access_token, '');
    assert.match(r.body.text, /invalid|used/i);
    r = await renew(null);
    assert.equal(r.status, 500);
    assert.ok(r.body.text);
    const s = h.emu.stats();
    assert.equal(s.renew, 3);
    assert.equal(s.renewError, 2);
    assert.equal(s.token, 0);
  });

  it('reports distinct resource and backup drives, and space used by both', async () => {
    const info = await h.api('user/getDriveInfo');
    assert.equal(info.status, 200);
    const { default_drive_id, resource_drive_id, backup_drive_id } = info.body;
    assert.equal(default_drive_id, resource_drive_id);
    assert.notEqual(resource_drive_id, backup_drive_id);
    assert.deepEqual(h.emu.driveIds, { default: default_drive_id, resource: resource_drive_id, backup: backup_drive_id });
    const names = async (driveId: string) =>
      (await h.api('openFile/list', { drive_id: driveId, parent_file_id: 'root' })).body.items.map((i: { name: string }) => i.name);
    assert.deepEqual(await names(resource_drive_id), ['a.txt']);
    assert.deepEqual(await names(backup_drive_id), ['b.bin']);
    const bad = await h.api('openFile/list', { drive_id: '42', parent_file_id: 'root' });
    assert.equal(bad.status, 403);
    assert.equal(bad.body.code, 'ForbiddenDriveNotValid');

    h.emu.setFaults({ quotaTotal: 10_000 });
    const space = await h.api('user/getSpaceInfo');
    assert.deepEqual(space.body, { personal_space_info: { used_size: 1005, total_size: 10_000 } });
  });

  it('can make the backup drive the default', async () => {
    const emu = await startAliyundriveEmulator({ root: h.root, backupRoot: h.backupRoot, defaultDrive: 'backup' });
    try {
      assert.equal(emu.driveIds.default, emu.driveIds.backup);
      assert.equal(emu.driveIds.resource, h.emu.driveIds.resource); // stable for the same folders
    } finally {
      await emu.close();
    }
  });

  it('frozen accounts are refused everywhere; over capacity only blocks downloads', async () => {
    h.emu.setFaults({ accountState: 'frozen' });
    for (const op of ['user/getDriveInfo', 'openFile/list']) {
      const r = await h.api(op, { drive_id: h.emu.driveIds.resource, parent_file_id: 'root' });
      assert.equal(r.status, 403);
      assert.equal(r.body.code, 'UserNotAllowedAccessResource');
    }
    assert.equal(h.emu.stats().frozenRefused, 2);
    h.emu.setFaults({ accountState: 'overCapacity' });
    const list = await h.api('openFile/list', { drive_id: h.emu.driveIds.resource, parent_file_id: 'root' });
    assert.equal(list.status, 200);
    const r = await h.api('openFile/getDownloadUrl', { drive_id: h.emu.driveIds.resource, file_id: list.body.items[0].file_id });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 'ExceedCapacityForbidden');
    const mk = await h.api('openFile/create', { drive_id: h.emu.driveIds.resource, parent_file_id: 'root', name: 'd', type: 'folder' });
    assert.equal(mk.body.code, 'QuotaExhausted.Drive');
  });

  it('admin endpoints validate fault patches and are not counted', async () => {
    let res = await fetch(`${h.emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ nope: 1 }) });
    assert.equal(res.status, 400);
    res = await fetch(`${h.emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ accountState: 'asleep' }) });
    assert.equal(res.status, 400);
    res = await fetch(`${h.emu.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 5, enforceRateLimits: false }) });
    const f = await res.json();
    assert.equal(f.latencyMs, 5);
    assert.equal(f.enforceRateLimits, false);
    h.emu.setFaults({ latencyMs: 0 });
    const stats = await (await fetch(`${h.emu.url}/_emulator/stats`)).json();
    assert.equal(stats.api, 0);
    assert.equal(stats.token, 0);
    assert.equal((await fetch(`${h.emu.url}/_emulator/stats/reset`, { method: 'POST' })).status, 204);
  });
});
