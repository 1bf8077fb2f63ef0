import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../../src/http/client.js';
import { oneDriveTokenSource } from '../../src/drives/onedrive/token-source.js';
import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { DriveError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import { tinyServer } from '../helpers/tiny-server.js';

/** A token endpoint whose refresh tokens are single-use, like the real one. */
async function tokenServer(expiresIn = 3600) {
  let valid = 'rt-0';
  let n = 0;
  const bodies: string[] = [];
  const s = await tinyServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      const form = new URLSearchParams(body);
      res.setHeader('content-type', 'application/json');
      if (form.get('refresh_token') !== valid) {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'AADSTS70000: token used or revoked' }));
        return;
      }
      n++;
      valid = `rt-${n}`;
      res.end(JSON.stringify({ access_token: `at-${n}`, refresh_token: valid, expires_in: expiresIn, token_type: 'Bearer' }));
    });
  });
  return { s, bodies, revoke: () => (valid = 'nothing') };
}

function source(url: string, store: ReturnType<typeof memoryRefreshTokenStore>, http: HttpClient) {
  return oneDriveTokenSource(http, { tokenUrl: url + '/common/oauth2/v2.0/token', clientId: 'cid', clientSecret: 'sec', remote: 'od', store, log: silentLogger });
}

test('each rotated refresh token is saved before the access token is used; concurrent callers share one refresh', async () => {
  const { s, bodies } = await tokenServer();
  const http = new HttpClient();
  const store = memoryRefreshTokenStore('rt-0');
  const ts = source(s.url, store, http);
  try {
    const tokens = await Promise.all([ts.get(), ts.get(), ts.get()]);
    assert.deepEqual(tokens, ['at-1', 'at-1', 'at-1']);
    assert.equal(bodies.length, 1);
    assert.equal((await store.load())?.refreshToken, 'rt-1');
    const form = new URLSearchParams(bodies[0]);
    assert.equal(form.get('grant_type'), 'refresh_token');
    assert.equal(form.get('client_secret'), 'sec');
    assert.equal(await ts.get(), 'at-1', 'a valid access token was refreshed again');
  } finally {
    await http.close();
    await s.close();
  }
});

test('refreshes early when the access token is about to expire, and re-reads the stored token first', async () => {
  const { s } = await tokenServer(1); // 1 s tokens: always inside the early-refresh margin
  const http = new HttpClient();
  const store = memoryRefreshTokenStore('rt-0');
  const ts = source(s.url, store, http);
  try {
    assert.equal(await ts.get(), 'at-1');
    await new Promise((r) => setTimeout(r, 400));
    // Another process rotated the token meanwhile (as a second mount of the remote would).
    const other = source(s.url, store, http);
    assert.equal(await other.refresh(), 'at-2');
    assert.equal(await ts.get(), 'at-1', 'a token with most of its life left was refreshed');
    await new Promise((r) => setTimeout(r, 450)); // now in its last quarter
    assert.equal(await ts.get(), 'at-3', 'the stale in-memory refresh token was used');
  } finally {
    await http.close();
    await s.close();
  }
});

test('a refused refresh token is a fatal EACCES that tells the user to log in again', async () => {
  const { s, revoke } = await tokenServer();
  const http = new HttpClient();
  const ts = source(s.url, memoryRefreshTokenStore('rt-0'), http);
  try {
    revoke();
    await assert.rejects(ts.get(), (e: unknown) => e instanceof DriveError && e.fatal && e.code === 'EACCES' && /Log in again/.test(e.message) && /invalid_grant/.test(e.message));
  } finally {
    await http.close();
    await s.close();
  }
});
