// The login endpoints `drivemount login onedrive` uses — authorize (auto
// consent), device code + /devicelogin, public-client refresh — and the Graph
// lookups it makes afterwards: /me, /me/drives and SharePoint sites.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { type Harness, sleep, startHarness, tempDir, tokenForm } from './helpers.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SCOPE = 'Files.ReadWrite.All offline_access';

interface OAuthAnswer {
  status: number;
  body: Record<string, any>;
}

describe('OneDrive emulator: login endpoints', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const url = (p: string): string => `${h.emu.url}${p}`;

  async function token(fields: Record<string, string>): Promise<OAuthAnswer> {
    const res = await fetch(url('/common/oauth2/v2.0/token'), tokenForm(fields));
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  // ---------------------------------------------------------------- authorize

  const authorizeParams = (over: Record<string, string | undefined> = {}): Record<string, string> => {
    const p: Record<string, string | undefined> = {
      client_id: h.emu.clientId,
      response_type: 'code',
      redirect_uri: 'http://localhost:53682/',
      scope: SCOPE,
      state: 'st-123',
      prompt: 'select_account',
      ...over,
    };
    return Object.fromEntries(Object.entries(p).filter((e): e is [string, string] => e[1] !== undefined));
  };

  function authorize(params: Record<string, string>, tenant = 'common'): Promise<Response> {
    return fetch(url(`/${tenant}/oauth2/v2.0/authorize?${new URLSearchParams(params)}`), { redirect: 'manual' });
  }

  /** The redirect's address split into "where to" and its query. */
  function redirectOf(res: Response): { target: string; query: URLSearchParams } {
    assert.equal(res.status, 302);
    const location = res.headers.get('location');
    assert.ok(location, 'a Location header');
    const q = location.indexOf('?');
    assert.ok(q > 0, `a query in ${location}`);
    return { target: location.slice(0, q), query: new URLSearchParams(location.slice(q + 1)) };
  }

  async function codeFor(redirectUri: string): Promise<string> {
    const { query } = redirectOf(await authorize(authorizeParams({ redirect_uri: redirectUri })));
    const code = query.get('code');
    assert.ok(code);
    return code;
  }

  const exchange = (code: string, redirectUri: string, extra: Record<string, string> = {}): Promise<OAuthAnswer> =>
    token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: h.emu.clientId,
      client_secret: h.emu.clientSecret,
      ...extra,
    });

  it('auto-consents: redirects to redirect_uri with code, the echoed state and a session_state', async () => {
    h.emu.resetStats();
    const res = await authorize(authorizeParams(), 'my-tenant');
    const { target, query } = redirectOf(res);
    assert.equal(target, 'http://localhost:53682/');
    assert.deepEqual([...query.keys()], ['code', 'state', 'session_state']);
    assert.ok(query.get('code')!.length > 20);
    assert.equal(query.get('state'), 'st-123');
    assert.match(query.get('session_state')!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(h.emu.stats().authorize, 1);
    assert.equal(h.emu.stats().api, 0);

    // Without a state, none comes back.
    const bare = redirectOf(await authorize(authorizeParams({ state: undefined })));
    assert.equal(bare.query.get('state'), null);
    assert.ok(bare.query.get('code'));
  });

  it('the code exchanges once, only with the exact redirect_uri it was issued for (port included)', async () => {
    const redirect = 'http://localhost:53682/';
    const wrongPort = await codeFor(redirect);
    const refused = await exchange(wrongPort, 'http://localhost:53683/');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.match(refused.body.error_description, /^AADSTS50011:/);

    const code = await codeFor(redirect);
    const ok = await exchange(code, redirect);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(typeof ok.body.refresh_token, 'string');
    const drive = await h.graph('/me/drive', { headers: { authorization: `Bearer ${ok.body.access_token}` } });
    assert.equal(drive.status, 200);

    const again = await exchange(code, redirect);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    assert.match(again.body.error_description, /^AADSTS70000:/);
  });

  it('the authorization-code grant still needs the client secret', async () => {
    const redirect = 'http://127.0.0.1:40000/';
    const res = await exchange(await codeFor(redirect), redirect, { client_secret: '' });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    const none = await token({ grant_type: 'authorization_code', code: await codeFor(redirect), redirect_uri: redirect, client_id: h.emu.clientId });
    assert.equal(none.status, 401);
    assert.match(none.body.error_description, /^AADSTS7000218:/);
  });

  it('matches loopback redirect URIs on any port, localhost or 127.0.0.1', async () => {
    for (const uri of ['http://localhost/', 'http://localhost:53682/', 'http://127.0.0.1:40000/', 'http://LOCALHOST:1/']) {
      const { target, query } = redirectOf(await authorize(authorizeParams({ redirect_uri: uri })));
      assert.equal(target, uri);
      const ok = await exchange(query.get('code')!, uri);
      assert.equal(ok.status, 200, uri);
    }
  });

  it('shows an AADSTS50011 page, without redirecting, for a redirect URI the app did not register', async () => {
    for (const uri of [
      'https://evil.example/',
      'https://localhost:53682/',
      'http://localhost:53682/callback',
      'http://localhost:53682/?x=1',
      'http://localhost.evil.example/',
      undefined,
    ]) {
      const res = await authorize(authorizeParams({ redirect_uri: uri }));
      assert.equal(res.status, 400, String(uri));
      assert.equal(res.headers.get('location'), null);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      assert.match(await res.text(), /AADSTS50011/);
    }
  });

  it('shows an AADSTS700016 page, without redirecting, for an unknown or missing client_id', async () => {
    for (const clientId of ['someone-else', undefined]) {
      const res = await authorize(authorizeParams({ client_id: clientId, redirect_uri: 'https://evil.example/' }));
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      const page = await res.text();
      assert.match(page, /AADSTS700016/);
      assert.doesNotMatch(page, /AADSTS50011/, 'the client is checked first');
    }
  });

  it('sends unsupported_response_type back to the client for anything but response_type=code', async () => {
    for (const rt of ['token', undefined]) {
      const { target, query } = redirectOf(await authorize(authorizeParams({ response_type: rt })));
      assert.equal(target, 'http://localhost:53682/');
      assert.equal(query.get('error'), 'unsupported_response_type');
      assert.ok(query.get('error_description'));
      assert.equal(query.get('state'), 'st-123');
      assert.equal(query.get('code'), null);
    }
  });

  it('sends access_denied (AADSTS65004) back when the user declines consent', async () => {
    h.emu.setFaults({ denyConsent: 1 });
    try {
      const res = await authorize(authorizeParams());
      const location = res.headers.get('location')!;
      assert.match(location, /[?&]error=access_denied&error_description=AADSTS65004%3A\+User\+declined\+to\+consent/);
      const { query } = redirectOf(res);
      assert.equal(query.get('state'), 'st-123');
      assert.equal(query.get('code'), null);
    } finally {
      h.emu.setFaults({ denyConsent: 0 });
    }
    assert.ok(redirectOf(await authorize(authorizeParams())).query.get('code'), 'consents again once the fault is off');
  });

  // -------------------------------------------------------------- device code

  async function deviceCode(fields: Record<string, string> = { client_id: h.emu.clientId, scope: SCOPE }): Promise<OAuthAnswer> {
    const res = await fetch(url('/organizations/oauth2/v2.0/devicecode'), tokenForm(fields));
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  const poll = (device: string, extra: Record<string, string> = {}): Promise<OAuthAnswer> =>
    token({ grant_type: DEVICE_GRANT, device_code: device, client_id: h.emu.clientId, ...extra });

  function enterCode(userCode: string): Promise<Response> {
    return fetch(url(`/devicelogin?otc=${encodeURIComponent(userCode)}`));
  }

  /** A device code the user has approved already. */
  async function approvedDeviceCode(): Promise<string> {
    const dc = await deviceCode();
    assert.equal((await enterCode(dc.body.user_code)).status, 200);
    return dc.body.device_code as string;
  }

  it('hands out device and user codes like AAD', async () => {
    h.emu.resetStats();
    const { status, body } = await deviceCode();
    assert.equal(status, 200);
    assert.equal(typeof body.device_code, 'string');
    assert.match(body.user_code, /^[A-HJKMNP-Z2-9]{9}$/);
    assert.equal(body.verification_uri, `${h.emu.url}/devicelogin`);
    assert.equal(body.expires_in, 900);
    assert.equal(body.interval, 5);
    assert.equal(
      body.message,
      `To sign in, use a web browser to open the page ${h.emu.url}/devicelogin and enter the code ${body.user_code} to authenticate.`,
    );
    assert.notEqual((await deviceCode()).body.user_code, body.user_code);
    assert.equal(h.emu.stats().deviceCode, 2);
  });

  it('refuses a device code for an unknown client with unauthorized_client (AADSTS700016)', async () => {
    const { status, body } = await deviceCode({ client_id: 'someone-else', scope: SCOPE });
    assert.equal(status, 400);
    assert.equal(body.error, 'unauthorized_client');
    assert.match(body.error_description, /^AADSTS700016:/);
    assert.deepEqual(body.error_codes, [700016]);
  });

  it('polling: pending, slow_down when too fast (the interval then grows by 5 s), tokens once entered, then used up', async () => {
    h.emu.setFaults({ deviceCodeIntervalSec: 0.3 });
    try {
      const dc = (await deviceCode()).body;
      assert.equal(dc.interval, 0.3);

      const first = await poll(dc.device_code);
      assert.equal(first.status, 400);
      assert.equal(first.body.error, 'authorization_pending');
      assert.deepEqual(first.body.error_codes, [70016]);

      await sleep(350); // a full interval later: still just pending
      assert.equal((await poll(dc.device_code)).body.error, 'authorization_pending');

      const fast = await poll(dc.device_code); // at once
      assert.equal(fast.status, 400);
      assert.equal(fast.body.error, 'slow_down');

      await sleep(350); // enough for the old interval, not for the one grown by 5 s
      assert.equal((await poll(dc.device_code)).body.error, 'slow_down');

      // The person enters the code (lower case, with a dash: the page folds both).
      const typed = `${dc.user_code.slice(0, 4)}-${dc.user_code.slice(4)}`.toLowerCase();
      const page = await enterCode(typed);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /You have signed in to .* You may now close this window/);

      const done = await poll(dc.device_code); // no client_secret: a public client
      assert.equal(done.status, 200);
      assert.equal(done.body.token_type, 'Bearer');
      assert.equal(typeof done.body.refresh_token, 'string');
      assert.equal((await h.graph('/me/drive', { headers: { authorization: `Bearer ${done.body.access_token}` } })).status, 200);

      const used = await poll(dc.device_code);
      assert.equal(used.status, 400);
      assert.equal(used.body.error, 'invalid_grant');
      assert.match(used.body.error_description, /^AADSTS70000:/);
    } finally {
      h.emu.setFaults({ deviceCodeIntervalSec: 5 });
    }
  });

  it('answers authorization_declined when the user declines at /devicelogin', async () => {
    const dc = (await deviceCode()).body;
    h.emu.setFaults({ denyConsent: 1 });
    try {
      const page = await enterCode(dc.user_code);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /declined/);
    } finally {
      h.emu.setFaults({ denyConsent: 0 });
    }
    const res = await poll(dc.device_code);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'authorization_declined');
    assert.match(res.body.error_description, /^AADSTS70000:/);
    assert.equal((await enterCode(dc.user_code)).status, 400, 'a decided code cannot be entered again');
  });

  it('expires device codes after deviceCodeTtlSec: expired_token, and the page refuses the code', async () => {
    h.emu.setFaults({ deviceCodeTtlSec: 0.3 });
    let dc: Record<string, any>;
    try {
      dc = (await deviceCode()).body;
    } finally {
      h.emu.setFaults({ deviceCodeTtlSec: 900 });
    }
    assert.equal(dc.expires_in, 0.3);
    assert.equal((await poll(dc.device_code)).body.error, 'authorization_pending');
    await sleep(350);
    const res = await poll(dc.device_code);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'expired_token');
    assert.match(res.body.error_description, /^AADSTS70020:/);
    const page = await enterCode(dc.user_code);
    assert.equal(page.status, 400);
    assert.match(await page.text(), /That code didn't work/i);
  });

  it('refuses unknown device codes (invalid_grant) and a missing one (invalid_request)', async () => {
    const res = await poll('not-a-device-code');
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
    assert.deepEqual(res.body.error_codes, [70000]);
    const missing = await token({ grant_type: DEVICE_GRANT, client_id: h.emu.clientId });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
    const stranger = await poll('not-a-device-code', { client_id: 'someone-else' });
    assert.equal(stranger.body.error, 'unauthorized_client');
  });

  it('the device login page: a form, POSTed codes, and unknown codes refused', async () => {
    h.emu.resetStats();
    const form = await fetch(url('/devicelogin'));
    assert.equal(form.status, 200);
    assert.match(form.headers.get('content-type')!, /^text\/html/);
    assert.match(await form.text(), /<form[^>]*method="post"[\s\S]*name="otc"/);

    const dc = (await deviceCode()).body;
    const posted = await fetch(url('/devicelogin'), tokenForm({ otc: ` ${dc.user_code.slice(0, 3)} ${dc.user_code.slice(3)} ` }));
    assert.equal(posted.status, 200);
    assert.match(await posted.text(), /close this window/);
    assert.equal((await poll(dc.device_code)).status, 200);

    for (const bad of ['ZZZZZZZZZ', '']) {
      const res = await fetch(url('/devicelogin'), tokenForm({ otc: bad }));
      assert.equal(res.status, 400);
      assert.match(await res.text(), /That code didn't work/i);
    }
    assert.equal(h.emu.stats().deviceLogin, 4);
  });

  it('a client secret sent with the device-code grant must be right', async () => {
    const res = await poll(await approvedDeviceCode(), { client_secret: 'nope' });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.match(res.body.error_description, /^AADSTS7000215:/);
  });

  it('public-client refresh tokens refresh without a secret; confidential ones still need it', async () => {
    const refresh = (rt: string, secret?: string): Promise<OAuthAnswer> =>
      token({ grant_type: 'refresh_token', refresh_token: rt, client_id: h.emu.clientId, ...(secret === undefined ? {} : { client_secret: secret }) });

    // Device login without a secret → public tokens.
    const pub = await poll(await approvedDeviceCode());
    assert.equal(pub.status, 200);
    const r1 = await refresh(pub.body.refresh_token);
    assert.equal(r1.status, 200);
    assert.notEqual(r1.body.refresh_token, pub.body.refresh_token);
    // A wrong secret is still refused, without consuming the token.
    const wrong = await refresh(r1.body.refresh_token, 'nope');
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.error_description, /^AADSTS7000215:/);
    const r2 = await refresh(r1.body.refresh_token);
    assert.equal(r2.status, 200, 'the rotated public token keeps refreshing without a secret');
    // Rotation still applies. (A used-up token is no longer known as a public one,
    // so it is judged like any other token: without the secret, invalid_client.)
    assert.equal((await refresh(r1.body.refresh_token, h.emu.clientSecret)).body.error, 'invalid_grant');
    assert.equal((await refresh(r1.body.refresh_token)).body.error, 'invalid_client');

    // Device login with the secret → confidential tokens.
    const conf = await poll(await approvedDeviceCode(), { client_secret: h.emu.clientSecret });
    assert.equal(conf.status, 200);
    // So are the harness's (minted as by an interactive login) — exactly as before.
    for (const rt of [conf.body.refresh_token, h.refreshToken]) {
      const res = await refresh(rt);
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'invalid_client');
      assert.match(res.body.error_description, /^AADSTS7000218:/);
      const ok = await refresh(rt, h.emu.clientSecret);
      assert.equal(ok.status, 200, 'refused without consuming it');
      if (rt === h.refreshToken) h.refreshToken = ok.body.refresh_token as string;
    }
  });

  it('revoke also forgets pending device codes', async () => {
    const dc = (await deviceCode()).body;
    assert.equal((await fetch(url('/_emulator/revoke'), { method: 'POST' })).status, 204);
    assert.equal((await enterCode(dc.user_code)).status, 400);
    assert.equal((await poll(dc.device_code)).body.error, 'invalid_grant');
    // Sign the harness in again for the Graph tests below.
    const fresh = (await (await fetch(url('/_emulator/refresh-token'), { method: 'POST' })).json()) as { refresh_token: string };
    h.refreshToken = fresh.refresh_token;
    assert.equal((await h.refresh()).status, 200);
  });
});

describe('OneDrive emulator: /me and SharePoint sites', () => {
  let h: Harness;
  before(async () => {
    const team = await tempDir();
    const px = await tempDir();
    // Two sites: one described, one in the plain `id=dir` form the CLI's --site gives.
    h = await startHarness({
      sites: {
        team: { root: team, webUrl: 'https://contoso.sharepoint.com/sites/Team/', displayName: 'Team Site' },
        'Project X': px,
      },
    });
    h.dirs.push(team, px);
  });
  after(async () => {
    await h.close();
  });

  it('reports the sites it serves, with default addresses for the plain form', () => {
    assert.equal(h.emu.sites.team.webUrl, 'https://contoso.sharepoint.com/sites/Team/');
    assert.equal(h.emu.sites['Project X'].webUrl, 'https://contoso.sharepoint.com/sites/Project-X');
    assert.notEqual(h.emu.sites.team.driveId, h.emu.sites['Project X'].driveId);
  });

  it('finds a site by host:path, case-insensitively, with or without the trailing colon or slash', async () => {
    h.emu.resetStats();
    for (const p of [
      '/sites/contoso.sharepoint.com:/sites/team',
      '/sites/contoso.sharepoint.com:/sites/team:',
      '/sites/CONTOSO.SharePoint.com:/SITES/TEAM:',
      '/sites/contoso.sharepoint.com:/sites/Team/',
    ]) {
      const { status, body } = await h.graphJson(p);
      assert.equal(status, 200, p);
      assert.equal(body.id, 'team');
      assert.equal(body.name, 'Team');
      assert.equal(body.displayName, 'Team Site');
      assert.equal(body.webUrl, 'https://contoso.sharepoint.com/sites/Team/');
      assert.deepEqual(body.siteCollection, { hostname: 'contoso.sharepoint.com' });
      assert.match(body['@odata.context'], /\$metadata#sites\/\$entity$/);
      assert.match(body.createdDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.match(body.lastModifiedDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const px = await h.graphJson('/sites/contoso.sharepoint.com:/sites/project-x:');
    assert.equal(px.status, 200);
    assert.equal(px.body.id, 'Project X');
    assert.equal(px.body.displayName, 'Project X');
    assert.equal(h.emu.stats().site, 5);
  });

  it('answers 404 itemNotFound for a site address it does not know', async () => {
    for (const p of [
      '/sites/contoso.sharepoint.com:/sites/nope:',
      '/sites/fabrikam.sharepoint.com:/sites/team:',
      '/sites/contoso.sharepoint.com:/sites/team/sub:',
      '/sites/nope',
      '/sites/nope/drives',
    ]) {
      const { status, body } = await h.graphJson(p);
      assert.equal(status, 404, p);
      assert.equal(body.error.code, 'itemNotFound');
      assert.equal(body.error.message, 'Requested site could not be found');
    }
  });

  it('GET /sites/{id} is the same site; /sites/{id}/drives lists its library', async () => {
    const byAddress = await h.graphJson('/sites/contoso.sharepoint.com:/sites/team');
    const byId = await h.graphJson('/sites/team');
    assert.equal(byId.status, 200);
    assert.deepEqual(byId.body, byAddress.body);
    assert.equal((await h.graphJson(`/sites/${encodeURIComponent('Project X')}`)).body.webUrl, 'https://contoso.sharepoint.com/sites/Project-X');

    const drives = await h.graphJson('/sites/team/drives');
    assert.equal(drives.status, 200);
    assert.match(drives.body['@odata.context'], /\$metadata#drives$/);
    assert.equal(drives.body.value.length, 1);
    const [d] = drives.body.value;
    assert.equal(d.id, h.emu.sites.team.driveId);
    assert.equal(d.driveType, 'documentLibrary');
    assert.equal(d['@odata.context'], undefined);
    assert.ok(d.quota);
    // The drive addressed the usual way is the same one.
    assert.equal((await h.graphJson('/sites/team/drive')).body.id, d.id);
  });

  it('GET /me is the signed-in user, stable and consistent with the drive owner', async () => {
    h.emu.resetStats();
    const me = await h.graphJson('/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.displayName, 'Emulator User');
    assert.match(me.body.userPrincipalName, /^[^@\s]+@[^@\s]+$/);
    assert.equal(me.body.mail, me.body.userPrincipalName);
    assert.equal(typeof me.body.id, 'string');
    assert.deepEqual((await h.graphJson('/me/')).body, me.body);
    const drive = await h.graphJson('/me/drive');
    assert.equal(drive.body.owner.user.id, me.body.id);
    assert.equal(h.emu.stats().me, 2);
  });

  it('GET /me/drives lists the personal drive; /me/drive still works', async () => {
    const drives = await h.graphJson('/me/drives');
    assert.equal(drives.status, 200);
    assert.equal(drives.body.value.length, 1);
    assert.equal(drives.body.value[0].id, h.emu.driveId);
    assert.equal(drives.body.value[0].driveType, 'personal');
    assert.equal((await h.graphJson('/me/drive')).body.id, h.emu.driveId);
    assert.equal((await h.graphJson('/me/drive/root')).status, 200);
  });

  it('all of them need a Bearer token, and only GET is allowed', async () => {
    for (const p of ['/me', '/me/drives', '/sites/team', '/sites/team/drives', '/sites/contoso.sharepoint.com:/sites/team:']) {
      for (const auth of ['', 'Bearer not-a-token']) {
        const res = await fetch(`${h.emu.url}/v1.0${p}`, { headers: auth ? { authorization: auth } : {} });
        assert.equal(res.status, 401, `${p} ${auth}`);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');
      }
    }
    for (const p of ['/me', '/sites/team']) {
      const res = await h.graphJson(p, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 405, p);
    }
  });
});
