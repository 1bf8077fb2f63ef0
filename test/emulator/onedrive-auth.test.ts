// Token endpoint and Bearer checking: rotation, bad client credentials,
// expiry, revocation and the admin "sign in again" endpoint.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { admin, type Harness, sleep, startHarness, tokenForm } from './helpers.js';

describe('OneDrive emulator: auth', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const tokenUrl = (tenant = 'common'): string => `${h.emu.url}/${tenant}/oauth2/v2.0/token`;

  it('rotates refresh tokens: the old one is refused after use', async () => {
    const old = h.refreshToken;
    const res = await h.refresh();
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'Files.ReadWrite.All offline_access');
    assert.equal(body.expires_in, 3600);
    assert.equal(typeof body.ext_expires_in, 'number');
    assert.notEqual(body.refresh_token, old);

    const again = await fetch(
      tokenUrl(),
      tokenForm({ grant_type: 'refresh_token', refresh_token: old, client_id: h.emu.clientId, client_secret: h.emu.clientSecret }),
    );
    assert.equal(again.status, 400);
    const err = (await again.json()) as { error: string; error_description: string; error_codes: number[] };
    assert.equal(err.error, 'invalid_grant');
    assert.match(err.error_description, /^AADSTS70000:/);
    assert.deepEqual(err.error_codes, [70000]);

    // The new token still works, via any tenant.
    const next = await fetch(
      tokenUrl('my-tenant-id'),
      tokenForm({ grant_type: 'refresh_token', refresh_token: h.refreshToken, client_id: h.emu.clientId, client_secret: h.emu.clientSecret }),
    );
    assert.equal(next.status, 200);
    const nb = (await next.json()) as { refresh_token: string; access_token: string };
    h.refreshToken = nb.refresh_token;
    h.accessToken = nb.access_token;
  });

  it('refuses a wrong client secret with 401 invalid_client, without consuming the token', async () => {
    const res = await fetch(
      tokenUrl(),
      tokenForm({ grant_type: 'refresh_token', refresh_token: h.refreshToken, client_id: h.emu.clientId, client_secret: 'nope' }),
    );
    assert.equal(res.status, 401);
    const err = (await res.json()) as { error: string; error_description: string };
    assert.equal(err.error, 'invalid_client');
    assert.match(err.error_description, /^AADSTS7000215: Invalid client secret provided/);
    assert.equal((await h.refresh()).status, 200, 'refresh token must still be valid');
  });

  it('refuses an unknown client id the way AAD does (400 unauthorized_client, AADSTS700016)', async () => {
    const res = await fetch(
      tokenUrl(),
      tokenForm({ grant_type: 'refresh_token', refresh_token: h.refreshToken, client_id: 'someone-else', client_secret: h.emu.clientSecret }),
    );
    assert.equal(res.status, 400);
    const err = (await res.json()) as { error: string; error_description: string };
    assert.equal(err.error, 'unauthorized_client');
    assert.match(err.error_description, /^AADSTS700016:/);
  });

  it('refuses unknown grant types and missing parameters', async () => {
    let res = await fetch(tokenUrl(), tokenForm({ grant_type: 'password', client_id: h.emu.clientId, client_secret: h.emu.clientSecret }));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'unsupported_grant_type');
    res = await fetch(tokenUrl(), tokenForm({ grant_type: 'refresh_token', client_id: h.emu.clientId, client_secret: h.emu.clientSecret }));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
  });

  it('answers 401 InvalidAuthenticationToken without, or with an unknown, bearer token', async () => {
    h.emu.resetStats();
    for (const auth of [undefined, 'Bearer not-a-token', 'Basic abc']) {
      const res = await fetch(`${h.emu.url}/v1.0/me/drive`, { headers: auth ? { authorization: auth } : {} });
      assert.equal(res.status, 401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'InvalidAuthenticationToken');
      assert.ok(body.error.message.length > 0);
    }
    const s = h.emu.stats();
    assert.equal(s.api, 3);
    assert.equal(s.unauthorized, 3);
    assert.equal(s.drive, 0);
  });

  it('expires access tokens after accessTokenTtlSec', async () => {
    h.emu.setFaults({ accessTokenTtlSec: 1 });
    try {
      const res = await h.refresh();
      assert.equal(((await res.json()) as { expires_in: number }).expires_in, 1);
      assert.equal((await h.graph('/me/drive')).status, 200);
      await sleep(1100);
      const late = await h.graphJson('/me/drive');
      assert.equal(late.status, 401);
      assert.equal(late.body.error.code, 'InvalidAuthenticationToken');
      assert.match(late.body.error.message, /expired/);
      // A refresh gives a working token again.
      h.emu.setFaults({ accessTokenTtlSec: 3600 });
      assert.equal((await h.refresh()).status, 200);
      assert.equal((await h.graph('/me/drive')).status, 200);
    } finally {
      h.emu.setFaults({ accessTokenTtlSec: 3600 });
    }
  });

  it('counts token requests, failures included, separately from API calls', async () => {
    h.emu.resetStats();
    await h.refresh();
    await fetch(tokenUrl(), tokenForm({ grant_type: 'refresh_token', refresh_token: 'bogus', client_id: h.emu.clientId, client_secret: h.emu.clientSecret }));
    const s = h.emu.stats();
    assert.equal(s.token, 2);
    assert.equal(s.tokenError, 1);
    assert.equal(s.api, 0);
  });

  it('revoke invalidates every refresh and access token; the admin endpoint mints a new login', async () => {
    const before = h.refreshToken;
    assert.equal((await h.graph('/me/drive')).status, 200);
    const extra = (await (await admin(h.emu, 'refresh-token', { method: 'POST' })).json()) as { refresh_token: string };
    assert.ok(extra.refresh_token);

    assert.equal((await admin(h.emu, 'revoke', { method: 'POST' })).status, 204);
    assert.equal((await h.graph('/me/drive')).status, 401);
    for (const rt of [before, extra.refresh_token]) {
      const res = await fetch(tokenUrl(), tokenForm({ grant_type: 'refresh_token', refresh_token: rt, client_id: h.emu.clientId, client_secret: h.emu.clientSecret }));
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    }

    const fresh = (await (await admin(h.emu, 'refresh-token', { method: 'POST' })).json()) as { refresh_token: string };
    h.refreshToken = fresh.refresh_token;
    assert.equal((await h.refresh()).status, 200);
    assert.equal((await h.graph('/me/drive')).status, 200);
  });

  it('honours initialRefreshToken', async () => {
    const h2 = await startHarness({ initialRefreshToken: 'my-seeded-token' });
    try {
      assert.equal(h2.emu.refreshToken, 'my-seeded-token');
      // startHarness already consumed it: it must now be refused.
      h2.refreshToken = 'my-seeded-token';
      assert.equal((await h2.refresh()).status, 400);
    } finally {
      await h2.close();
    }
  });
});
