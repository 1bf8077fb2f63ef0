import type { HttpClient } from '../../http/client.js';
import { HttpError } from '../../http/http-error.js';
import type { CredentialStore } from '../../config/credential-store.js';
import type { RefreshTokenCredential } from '../../config/credential.js';
import type { Logger } from '../../util/log.js';
import { RefreshRefused, TokenSource, type TokenGrant } from '../token-source.js';

interface AadTokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
}

/** Microsoft identity platform: the refresh-token grant, form-encoded (docs/services/onedrive.md, "Authorisation and tokens"). */
export function aadExchange(http: HttpClient, o: { tokenUrl: string; clientId: string; clientSecret?: string }) {
  return async (refreshToken: string): Promise<TokenGrant> => {
    const form = new URLSearchParams({
      client_id: o.clientId,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      redirect_uri: 'http://localhost/',
    });
    if (o.clientSecret) form.set('client_secret', o.clientSecret);
    let answer: AadTokenAnswer;
    try {
      answer = await http.json<AadTokenAnswer>({
        method: 'POST',
        url: o.tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        // Refresh tokens are single-use: a retry after a lost answer would spend the rotated
        // one we never saw. Only throttling (429/503, nothing was spent) is retried.
        idempotent: false,
      });
    } catch (e) {
      if (e instanceof HttpError && (e.status === 400 || e.status === 401)) {
        throw new RefreshRefused(`${e.serviceCode ?? `HTTP ${e.status}`}: ${describeRefusal(e.body)}`);
      }
      throw e;
    }
    if (!answer?.access_token) throw new Error('the token answer had no access_token');
    return { accessToken: answer.access_token, refreshToken: answer.refresh_token, expiresInSec: Number(answer.expires_in) };
  };
}

export function oneDriveTokenSource(
  http: HttpClient,
  o: { tokenUrl: string; clientId: string; clientSecret?: string; remote: string; store: CredentialStore<RefreshTokenCredential>; log: Logger },
): TokenSource {
  return new TokenSource(aadExchange(http, o), o);
}

/** The first line of AAD's `error_description` ("AADSTS70000: ..."), which says why. */
function describeRefusal(body: unknown): string {
  const d = (body as { error_description?: unknown })?.error_description;
  return typeof d === 'string' ? d.split(/\r?\n/)[0]!.slice(0, 200) : 'no reason given';
}
