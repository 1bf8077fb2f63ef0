import type { HttpClient } from '../../../http/client.js';
import { HttpError } from '../../../http/http-error.js';
import { DriveError } from '../../../util/errors.js';
import { RefreshRefused, type TokenGrant } from '../../token-source.js';
import type { AliyundriveConfig } from './config.js';

interface OauthAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

interface RenewAnswer {
  access_token?: string;
  refresh_token?: string;
  /** The renewer's error message; empty on success. */
  text?: string;
}

/** Access tokens live 7200 s on this platform; the renew API does not say. */
const DEFAULT_LIFETIME_SEC = 7200;

/** The refresh-token exchange for the configured method: own app (direct) or an online renew API. */
export function aliyundriveExchange(http: HttpClient, cfg: AliyundriveConfig): (refreshToken: string) => Promise<TokenGrant> {
  return cfg.renewApiUrl ? (rt) => renew(http, cfg.renewApiUrl!, rt) : (rt) => direct(http, cfg, rt);
}

async function direct(http: HttpClient, cfg: AliyundriveConfig, refreshToken: string): Promise<TokenGrant> {
  let a: OauthAnswer;
  try {
    a = await http.json<OauthAnswer>({
      method: 'POST',
      url: `${cfg.apiUrl}/oauth/access_token`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: cfg.clientId, client_secret: cfg.clientSecret, grant_type: 'refresh_token', refresh_token: refreshToken }),
      idempotent: false, // single-use refresh tokens: never resend after a lost answer
    });
  } catch (e) {
    if (e instanceof HttpError && e.status >= 400 && e.status < 500 && e.status !== 429) {
      throw new RefreshRefused(`${e.serviceCode ?? `HTTP ${e.status}`}`);
    }
    throw e;
  }
  if (!a?.access_token) throw new Error('the token answer had no access_token');
  return { accessToken: a.access_token, refreshToken: a.refresh_token, expiresInSec: Number(a.expires_in) || DEFAULT_LIFETIME_SEC };
}

async function renew(http: HttpClient, renewApiUrl: string, refreshToken: string): Promise<TokenGrant> {
  const url = new URL(renewApiUrl);
  url.searchParams.set('refresh_ui', refreshToken);
  url.searchParams.set('server_use', 'true');
  url.searchParams.set('driver_txt', 'alicloud_qr');
  let a: RenewAnswer;
  try {
    // The URL carries the refresh token: mark it pre-authenticated so it is never logged.
    a = await http.json<RenewAnswer>({ url: url.toString(), preauthenticated: true, idempotent: false });
  } catch (e) {
    if (e instanceof HttpError && e.status === 429) throw new DriveError('EAGAIN', 'the online renew API is rate-limiting this address; try again later');
    // Hosted renewers answer every failure with an error status and the platform's message in `text`.
    const why = e instanceof HttpError ? renewReason(e.body) : undefined;
    if (why && /too many/i.test(why)) throw new DriveError('EAGAIN', `the online renew API is rate-limiting this address: ${why}`);
    if (why) throw new RefreshRefused(why);
    if (e instanceof HttpError && e.status >= 400 && e.status < 500) throw new RefreshRefused(`online renew API: HTTP ${e.status}`);
    throw e;
  }
  if (!a?.access_token || !a.refresh_token) {
    const why = a?.text || 'no token in the answer';
    if (/too many/i.test(why)) throw new DriveError('EAGAIN', `the online renew API is rate-limiting this address: ${why}`);
    throw new RefreshRefused(`online renew API: ${why}`);
  }
  return { accessToken: a.access_token, refreshToken: a.refresh_token, expiresInSec: DEFAULT_LIFETIME_SEC };
}

function renewReason(body: unknown): string | undefined {
  const t = (body as RenewAnswer | undefined)?.text;
  return typeof t === 'string' && t ? `online renew API: ${t}` : undefined;
}
