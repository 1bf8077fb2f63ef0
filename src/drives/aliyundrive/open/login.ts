// The Open Platform's QR-code authorisation (for login tools): ask for a QR session, show the
// code, poll its status while the user scans and confirms in the app, then exchange the code.

import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from '../../../http/client.js';
import { HttpError } from '../../../http/http-error.js';
import { LoginRefused } from '../../login-errors.js';
import type { TokenGrant } from '../../token-source.js';

export const DEFAULT_API_URL = 'https://openapi.alipan.com';
/** Read and write every file of the user's drives, and read who the user is. */
export const QR_SCOPES = ['user:base', 'file:all:read', 'file:all:write'];

export interface AliyundriveApp {
  apiUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface QrSession {
  sid: string;
  /** What the QR encodes: the page the app opens to ask the user. */
  pageUrl: string;
  /** The service's own picture of the code, for a browser. */
  imageUrl: string;
}

export type QrStatus = 'WaitLogin' | 'ScanSuccess' | 'LoginSuccess' | 'LoginFailed' | 'QRCodeExpired';

/**
 * The page the app must open. The service hosts it on its web site, not the API host; an
 * overridden API URL (emulator, proxy) plays that host too.
 */
export function qrPageUrl(apiUrl: string, sid: string): string {
  const base = apiUrl.replace(/\/+$/, '') === DEFAULT_API_URL ? 'https://www.alipan.com' : apiUrl.replace(/\/+$/, '');
  return `${base}/o/oauth/authorize?sid=${encodeURIComponent(sid)}`;
}

export async function requestQrCode(http: HttpClient, app: AliyundriveApp): Promise<QrSession> {
  let a: { sid?: string; qrCodeUrl?: string };
  try {
    a = await http.json({
      method: 'POST',
      url: `${app.apiUrl}/oauth/authorize/qrcode`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret, scopes: QR_SCOPES, width: 300, height: 300 }),
      idempotent: true,
    });
  } catch (e) {
    throw refusal(e, 'the QR-code request was refused');
  }
  if (!a?.sid) throw new LoginRefused('the QR-code answer has no sid');
  return { sid: a.sid, pageUrl: qrPageUrl(app.apiUrl, a.sid), imageUrl: a.qrCodeUrl ?? '' };
}

/**
 * Poll until the user confirms in the app; `onStatus` hears each change (to tell the user a
 * scan was seen). Resolves with the authorisation code.
 */
export async function waitForQrLogin(
  http: HttpClient,
  app: AliyundriveApp,
  sid: string,
  o: { intervalMs?: number; signal?: AbortSignal; onStatus?: (s: QrStatus) => void } = {},
): Promise<string> {
  let last: string | undefined;
  for (;;) {
    const a = await http.json<{ status?: string; authCode?: string }>({ url: `${app.apiUrl}/oauth/qrcode/${encodeURIComponent(sid)}/status`, signal: o.signal });
    const status = a?.status as QrStatus | undefined;
    if (status !== last && status) o.onStatus?.(status);
    last = status;
    switch (status) {
      case 'LoginSuccess':
        if (!a.authCode) throw new LoginRefused('the QR login succeeded but the answer has no authCode');
        return a.authCode;
      case 'QRCodeExpired':
        throw new LoginRefused('the QR code expired before it was confirmed: run the login again');
      case 'LoginFailed':
        throw new LoginRefused('the login was cancelled in the app');
      case 'WaitLogin':
      case 'ScanSuccess':
        await sleep(o.intervalMs ?? 2000, undefined, { signal: o.signal });
        continue;
      default:
        throw new LoginRefused(`the QR status answer is not understood: ${JSON.stringify(a).slice(0, 200)}`);
    }
  }
}

export async function exchangeAuthCode(http: HttpClient, app: AliyundriveApp, code: string): Promise<TokenGrant & { refreshToken: string }> {
  let a: { access_token?: string; refresh_token?: string; expires_in?: number };
  try {
    a = await http.json({
      method: 'POST',
      url: `${app.apiUrl}/oauth/access_token`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret, grant_type: 'authorization_code', code }),
      idempotent: false, // single-use code
    });
  } catch (e) {
    throw refusal(e, 'the code exchange was refused');
  }
  if (!a?.access_token || !a.refresh_token) throw new LoginRefused('the token answer has no access/refresh token');
  return { accessToken: a.access_token, refreshToken: a.refresh_token, expiresInSec: Number(a.expires_in) || 7200 };
}

function refusal(e: unknown, what: string): unknown {
  if (e instanceof HttpError && e.status >= 400 && e.status < 500 && e.status !== 429) {
    const msg = (e.body as { message?: unknown } | undefined)?.message;
    return new LoginRefused(`${what}: ${e.serviceCode ?? `HTTP ${e.status}`}${typeof msg === 'string' && msg ? ` (${msg})` : ''}`);
  }
  return e;
}
