import type { HttpClient } from '../../../http/client.js';
import { HttpError } from '../../../http/http-error.js';
import { RefreshRefused, type TokenGrant } from '../../token-source.js';

interface LegacyTokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

/** Access tokens of the legacy API live 7200 s. */
const DEFAULT_LIFETIME_SEC = 7200;

/**
 * The legacy refresh-token exchange: `POST {authUrl}/v2/account/token`, no client id. The
 * refresh token rotates and is single use, so the call is never resent after a lost answer.
 * A 4xx (unknown, used or expired token; an Open token) means "log in again".
 */
export function legacyExchange(http: HttpClient, authUrl: string): (refreshToken: string) => Promise<TokenGrant> {
  return async (refreshToken) => {
    let a: LegacyTokenAnswer;
    try {
      a = await http.json<LegacyTokenAnswer>({
        method: 'POST',
        url: `${authUrl}/v2/account/token`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken, grant_type: 'refresh_token' }),
        idempotent: false,
      });
    } catch (e) {
      if (e instanceof HttpError && e.status >= 400 && e.status < 500 && e.status !== 429) {
        throw new RefreshRefused(`${e.serviceCode ?? `HTTP ${e.status}`}`);
      }
      throw e;
    }
    if (!a?.access_token) throw new Error('the token answer had no access_token');
    return { accessToken: a.access_token, refreshToken: a.refresh_token, expiresInSec: Number(a.expires_in) || DEFAULT_LIFETIME_SEC };
  };
}
