// Aliyundrive emulator: shares of another user's drive — share tokens and passwords,
// cancelled / expired / unknown shares, listing scoped to the share with paging, the
// download-link refusal and its knob, Referer-checked links, copy into the user's drive.

import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type AliHarness, sleep, startAliHarness, tempDir } from '../../src/emulators/aliyundrive/harness.js';

describe('Aliyundrive emulator: shares', () => {
  let h: AliHarness;
  let shareRoot: string;
  let shareId: string;
  /** The user's own legacy access token (share links and copies need the user; an Open token is refused). */
  let legacyToken: string;

  before(async () => {
    shareRoot = await tempDir('drivemount-aliyun-sharer-');
    await mkdir(path.join(shareRoot, 'many'));
    for (let i = 0; i < 230; i++) await writeFile(path.join(shareRoot, 'many', `f${String(i).padStart(3, '0')}.txt`), `n${i}`);
    await mkdir(path.join(shareRoot, 'sub', 'inner'), { recursive: true });
    await writeFile(path.join(shareRoot, 'sub', 'inner', 'deep.txt'), 'deep bytes');
    await writeFile(path.join(shareRoot, 'hello.txt'), 'hello share');
    h = await startAliHarness({ shareRoot, sharePassword: 'ab12' });
    shareId = h.emu.shareId!;
    const t = await post('/v2/account/token', { refresh_token: h.emu.legacyRefreshToken, grant_type: 'refresh_token' });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    legacyToken = t.body.access_token;
  });
  after(async () => {
    await h.close();
    await rm(shareRoot, { recursive: true, force: true });
  });
  beforeEach(async () => {
    h.emu.resetStats();
    await post('/_emulator/share-settings', { shareTokenTtlSec: 7200, shareDownloads: 'refused' });
  });

  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    h.fetchJson(`${h.emu.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  /** `pwd` null: no share_pwd at all. */
  const token = (id = shareId, pwd: string | null = 'ab12') => post('/v2/share_link/get_share_token', { share_id: id, ...(pwd === null ? {} : { share_pwd: pwd }) });
  async function shareToken(): Promise<string> {
    const r = await token();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.share_token;
  }
  const list = (t: string, parent: string, extra: Record<string, unknown> = {}) =>
    post('/adrive/v3/file/list', { share_id: shareId, parent_file_id: parent, limit: 100, ...extra }, { 'x-share-token': t });
  async function idIn(t: string, parent: string, name: string): Promise<{ file_id: string; drive_id: string }> {
    const r = await list(t, parent);
    const f = r.body.items.find((x: { name: string }) => x.name === name);
    assert.ok(f, `${name} listed in ${parent}`);
    return f;
  }
  const link = (t: string, body: Record<string, unknown>, bearer = legacyToken) =>
    post('/v2/file/get_share_link_download_url', { share_id: shareId, expire_sec: 600, ...body }, { 'x-share-token': t, authorization: `Bearer ${bearer}` });

  it('share ids are 22 base62 characters; a token needs the right password', async () => {
    assert.match(shareId, /^[0-9A-Za-z]{22}$/);
    const ok = await token();
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.body.share_token, 'string');
    assert.equal(ok.body.expires_in, 7200);
    for (const pwd of ['wrong', null, 'AB12', ' ab12']) {
      const r = await token(shareId, pwd);
      assert.equal(r.status, 400, String(pwd));
      assert.equal(r.body.code, 'InvalidResource.SharePwd');
    }
    const unknown = await token('0000000000000000000000');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'NotFound.ShareLink');
    assert.equal(h.emu.stats().shareToken, 6);
    assert.equal(h.emu.stats().shareTokenError, 5);
  });

  it('lists the share in pages of at most 100, items carrying share_id and the sharer drive_id', async () => {
    const t = await shareToken();
    const many = await idIn(t, 'root', 'many');
    assert.equal(many.drive_id, h.emu.shareDriveId);
    assert.notEqual(many.drive_id, h.emu.driveIds.default);
    const names: string[] = [];
    let marker = '';
    let pages = 0;
    do {
      const r = await list(t, many.file_id, { limit: 500, marker });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.items.length <= 100);
      for (const it of r.body.items) {
        assert.equal(it.share_id, shareId);
        names.push(it.name);
      }
      marker = r.body.next_marker;
      pages++;
    } while (marker);
    assert.equal(pages, 3);
    assert.equal(names.length, 230);
    assert.deepEqual(names, [...names].sort());
  });

  it('refuses listings without a live token and items outside the share', async () => {
    const none = await post('/adrive/v3/file/list', { share_id: shareId, parent_file_id: 'root' });
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'ShareLinkTokenInvalid');
    // A share of a subfolder: its sibling folders and the user's own drive are out of reach.
    const sub = await post('/_emulator/shares', { path: '/sub' });
    assert.equal(sub.status, 200);
    const st = await post('/v2/share_link/get_share_token', { share_id: sub.body.shareId });
    const subToken = st.body.share_token;
    const t = await shareToken();
    const many = await idIn(t, 'root', 'many');
    const outside = await post('/adrive/v3/file/list', { share_id: sub.body.shareId, parent_file_id: many.file_id }, { 'x-share-token': subToken });
    assert.equal(outside.status, 404);
    assert.equal(outside.body.code, 'NotFound.File');
    const inside = await post('/adrive/v3/file/list', { share_id: sub.body.shareId, parent_file_id: 'root' }, { 'x-share-token': subToken });
    assert.deepEqual(inside.body.items.map((x: { name: string }) => x.name), ['inner']);
    const wrongShare = await post('/adrive/v3/file/list', { share_id: shareId, parent_file_id: 'root' }, { 'x-share-token': subToken });
    assert.equal(wrongShare.status, 400);
  });

  it('tokens expire, die with their share, and on revoke → 401 ShareLinkTokenInvalid', async () => {
    await post('/_emulator/share-settings', { shareTokenTtlSec: 1 });
    const t = await shareToken();
    assert.equal((await list(t, 'root')).status, 200);
    await sleep(1100);
    const late = await list(t, 'root');
    assert.equal(late.status, 401);
    assert.equal(late.body.code, 'ShareLinkTokenInvalid');
    await post('/_emulator/share-settings', { shareTokenTtlSec: 7200 });
    const t2 = await shareToken();
    assert.equal((await post('/_emulator/share-tokens/revoke', {})).status, 204);
    assert.equal((await list(t2, 'root')).status, 401);
    assert.equal(h.emu.stats().shareTokenInvalid, 2);

    const other = await post('/_emulator/shares', { path: '/sub/inner', password: 'pw' });
    const ot = (await post('/v2/share_link/get_share_token', { share_id: other.body.shareId, share_pwd: 'pw' })).body.share_token;
    assert.equal((await post(`/_emulator/shares/${other.body.shareId}/cancel`, {})).status, 204);
    const cancelled = await post('/v2/share_link/get_share_token', { share_id: other.body.shareId, share_pwd: 'pw' });
    assert.equal(cancelled.body.code, 'ShareLink.Cancelled');
    assert.equal((await post('/adrive/v3/file/list', { share_id: other.body.shareId, parent_file_id: 'root' }, { 'x-share-token': ot })).status, 401);
    await post('/_emulator/shares', { path: '/sub/inner', password: 'pw' }); // revived
    await post(`/_emulator/shares/${other.body.shareId}/expire`, {});
    const expired = await post('/v2/share_link/get_share_token', { share_id: other.body.shareId, share_pwd: 'pw' });
    assert.equal(expired.status, 400);
    assert.equal(expired.body.code, 'ShareLink.Expired');
  });

  it('refuses download links with a persistent 429 ParamFlowException, every time', async () => {
    const t = await shareToken();
    const f = await idIn(t, 'root', 'hello.txt');
    for (let i = 0; i < 3; i++) {
      const r = await link(t, { drive_id: f.drive_id, file_id: f.file_id });
      assert.equal(r.status, 429);
      assert.equal(r.body.code, 'ParamFlowException');
      assert.equal(r.body.resultCode, 'ParamFlowException');
      assert.match(r.body.message, /^[0-9a-f]{32}$/);
      assert.equal(r.headers.get('retry-after'), null);
      assert.equal(r.headers.get('x-retry-after'), null);
    }
    assert.equal(h.emu.stats().shareLinkRefused, 3);
  });

  it('with shareDownloads working: a link for signed-in users, read only with the Referer', async () => {
    await post('/_emulator/share-settings', { shareDownloads: 'working' });
    const t = await shareToken();
    const f = await idIn(t, 'root', 'hello.txt');
    const anon = await link(t, { drive_id: f.drive_id, file_id: f.file_id }, 'not-a-token');
    assert.equal(anon.status, 401);
    const open = await link(t, { drive_id: f.drive_id, file_id: f.file_id }, h.accessToken);
    assert.equal(open.status, 401, 'an Open token cannot read shares');
    const r = await link(t, { drive_id: f.drive_id, file_id: f.file_id, expire_sec: 14400 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(Date.parse(r.body.expiration) <= Date.now() + 601_000, 'links live at most 600 s');
    const bare = await fetch(r.body.download_url);
    assert.equal(bare.status, 403);
    assert.match(await bare.text(), /referer policy/);
    const ok = await fetch(r.body.download_url, { headers: { referer: 'https://www.alipan.com/', range: 'bytes=6-10' } });
    assert.equal(ok.status, 206);
    assert.equal(await ok.text(), 'share');
    assert.equal(h.emu.stats().refererRefused, 1);
  });

  it('a batch with x-share-token but no device session is refused', async () => {
    const t = await shareToken();
    const r = await post('/v3/batch', { resource: 'file', requests: [] }, { 'x-share-token': t, authorization: `Bearer ${legacyToken}` });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'DeviceSessionSignatureInvalid');
  });

  it('copies a shared file into the user drive; membership, token and quota are checked', async () => {
    const t = await shareToken();
    const sub = await idIn(t, 'root', 'sub');
    const inner = await idIn(t, sub.file_id, 'inner');
    const deep = await idIn(t, inner.file_id, 'deep.txt');
    const own = h.emu.driveIds.default;
    const body = { share_id: shareId, file_id: deep.file_id, to_drive_id: own, to_parent_file_id: 'root', auto_rename: false };
    const run = (b: Record<string, unknown>, tok: string | undefined = t) => h.emu.shareCopy!(tok, b);
    const r = await run(body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.drive_id, own);
    assert.equal(await readFile(path.join(h.root, 'deep.txt'), 'utf8'), 'deep bytes');
    assert.equal((await run(body)).body.code, 'AlreadyExist.File');
    assert.equal((await run(body, 'stale')).status, 401);
    assert.equal((await run({ ...body, file_id: 'not-in-share' })).status, 404);
    assert.equal((await run({ ...body, to_drive_id: h.emu.shareDriveId })).status, 403);
    await h.fetchJson(`${h.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quotaTotal: 1 }) });
    try {
      const full = await run({ ...body, auto_rename: true });
      assert.equal(full.body.code, 'QuotaExhausted.Drive');
    } finally {
      await h.fetchJson(`${h.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quotaTotal: 2 ** 40 }) });
    }
  });
});

