// The Microsoft identity platform flows that turn an account into a refresh token
// (docs/services/onedrive.md, "Authorisation and tokens"): authorization code with a loopback redirect,
// and the device-code flow for machines without a browser. No terminal here: src/cli drives them.

import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from '../../http/client.js';
import { LoginRefused } from '../login-errors.js';

export { LoginRefused };

/** Files of every drive the user can reach, and a refresh token. */
export const FILES_SCOPE = 'Files.ReadWrite.All offline_access';
/** Looking a SharePoint site up by its URL needs this one too. */
export const SITES_SCOPE = 'Sites.Read.All';

export interface AadApp {
  /** Login host, e.g. https://login.microsoftonline.com (or an emulator). */
  authUrl: string;
  tenant: string;
  clientId: string;
  clientSecret?: string;
}

export interface LoginTokens {
  accessToken: string;
  refreshToken: string;
  expiresInSec: number;
}

const endpoint = (app: AadApp, what: 'authorize' | 'token' | 'devicecode'): string =>
  `${app.authUrl}/${encodeURIComponent(app.tenant)}/oauth2/v2.0/${what}`;

export function authorizeUrl(app: AadApp, o: { redirectUri: string; state: string; scope: string }): string {
  const q = new URLSearchParams({
    client_id: app.clientId,
    response_type: 'code',
    redirect_uri: o.redirectUri,
    scope: o.scope,
    state: o.state,
    // Always show the account picker: logging in again is how a user switches accounts.
    prompt: 'select_account',
  });
  return `${endpoint(app, 'authorize')}?${q}`;
}

/**
 * What came back on the redirect: the code, or the refusal the service put in the query.
 * `state` must be ours, or the answer belongs to some other login (or an attacker's page).
 */
export function codeFromRedirect(url: URL, state: string): string {
  const error = url.searchParams.get('error');
  if (error) {
    const why = url.searchParams.get('error_description')?.split(/\r?\n/)[0] ?? '';
    throw new LoginRefused(`the sign-in was refused: ${error}${why ? ` — ${why}` : ''}`);
  }
  if (url.searchParams.get('state') !== state) {
    throw new LoginRefused('the redirect carries a different "state" than this login sent: it does not answer this login (start again)');
  }
  const code = url.searchParams.get('code');
  if (!code) throw new LoginRefused('the redirect carries no "code" parameter');
  return code;
}

export async function exchangeCode(http: HttpClient, app: AadApp, code: string, redirectUri: string): Promise<LoginTokens> {
  const answer = await tokenRequest(http, app, { grant_type: 'authorization_code', code, redirect_uri: redirectUri });
  if (!answer.ok) throw new LoginRefused(`the token endpoint refused the code: ${answer.error.describe()}`);
  return answer.tokens;
}

export interface DeviceCode {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  expiresInSec: number;
  intervalSec: number;
  message: string;
}

export async function startDeviceCode(http: HttpClient, app: AadApp, scope: string): Promise<DeviceCode> {
  const res = await http.request({
    method: 'POST',
    url: endpoint(app, 'devicecode'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: app.clientId, scope }).toString(),
    acceptStatus: [400, 401],
    idempotent: true, // nothing is spent by asking again
  });
  const body = (await res.body.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new LoginRefused(`the device-code endpoint refused: ${new AadError(body).describe()}`);
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  if (!s('device_code') || !s('user_code')) throw new LoginRefused('the device-code answer has no device_code/user_code');
  return {
    deviceCode: s('device_code'),
    userCode: s('user_code'),
    verificationUri: s('verification_uri') || s('verification_url'),
    expiresInSec: Number(body.expires_in) || 900,
    intervalSec: Number(body.interval) || 5,
    message: s('message'),
  };
}

/**
 * Poll the token endpoint until the user has entered the code (RFC 8628 §3.5): wait `interval`
 * between polls, 5 s more after each `slow_down`, stop at expiry or refusal.
 */
export async function pollDeviceCode(
  http: HttpClient,
  app: AadApp,
  dc: DeviceCode,
  o: { signal?: AbortSignal; onPoll?: (waitedSec: number) => void } = {},
): Promise<LoginTokens> {
  const started = Date.now();
  const deadline = started + dc.expiresInSec * 1000;
  let interval = dc.intervalSec;
  for (;;) {
    await sleep(interval * 1000, undefined, { signal: o.signal });
    if (Date.now() > deadline) throw new LoginRefused(`the code ${dc.userCode} expired before it was entered (it lasts ${dc.expiresInSec} s): start again`);
    const answer = await tokenRequest(http, app, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: dc.deviceCode });
    if (answer.ok) return answer.tokens;
    o.onPoll?.(Math.round((Date.now() - started) / 1000));
    switch (answer.error.error) {
      case 'authorization_pending':
        continue;
      case 'slow_down':
        interval += 5;
        continue;
      case 'expired_token':
        throw new LoginRefused(`the code ${dc.userCode} expired before it was entered: start again`);
      case 'authorization_declined':
        throw new LoginRefused('the sign-in was declined in the browser');
      default:
        throw new LoginRefused(`the token endpoint refused: ${answer.error.describe()}`);
    }
  }
}

/** AAD's `{error, error_description}` with the first line of the description (which says why). */
class AadError {
  readonly error: string;
  private readonly description: string;
  constructor(body: Record<string, unknown> | undefined) {
    this.error = typeof body?.error === 'string' ? body.error : 'unknown_error';
    const d = body?.error_description;
    this.description = typeof d === 'string' ? d.split(/\r?\n/)[0]!.slice(0, 300) : '';
  }
  describe(): string {
    return this.description ? `${this.error}: ${this.description}` : this.error;
  }
}

type TokenAnswer = { ok: true; tokens: LoginTokens } | { ok: false; error: AadError };

async function tokenRequest(http: HttpClient, app: AadApp, grant: Record<string, string>): Promise<TokenAnswer> {
  const form = new URLSearchParams({ client_id: app.clientId, ...grant });
  if (app.clientSecret) form.set('client_secret', app.clientSecret);
  const res = await http.request({
    method: 'POST',
    url: endpoint(app, 'token'),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    acceptStatus: [400, 401, 403],
    // A code is single-use: resending after a lost answer would only be refused.
    idempotent: false,
  });
  const text = await res.body.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (res.status !== 200) return { ok: false, error: new AadError(body) };
  const access = body?.access_token;
  const refresh = body?.refresh_token;
  if (typeof access !== 'string' || typeof refresh !== 'string') {
    return { ok: false, error: new AadError({ error: 'no_refresh_token', error_description: 'the answer has no refresh token (was offline_access granted?)' }) };
  }
  return { ok: true, tokens: { accessToken: access, refreshToken: refresh, expiresInSec: Number(body?.expires_in) || 3600 } };
}
