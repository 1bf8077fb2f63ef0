import type { HttpClient } from '../../http/client.js';
import { HttpError } from '../../http/http-error.js';
import type { TokenSource } from '../token-source.js';
import type { Pacer, RateClass } from './pacer.js';
import { withFreshToken } from '../fresh-token.js';

/** The platform's codes for an access token it no longer accepts (a bare 401 counts too). */
function isRejectedAliyundriveToken(e: unknown): boolean {
  if (!(e instanceof HttpError) || e.status !== 401) return false;
  return e.serviceCode === 'AccessTokenInvalid' || e.serviceCode === 'AccessTokenExpired' || !e.serviceCode;
}

/** Calls that only read may be resent after a network failure; the others may not. */
const READ_ONLY = new Set(['openFile/list', 'openFile/get', 'openFile/get_by_path', 'openFile/getDownloadUrl', 'openFile/listUploadedParts', 'user/getDriveInfo', 'user/getSpaceInfo']);

/**
 * Authorised calls to `/adrive/v1.0/...`: JSON POSTs, paced to the documented rate limits, the
 * access token refreshed and the call replayed once when the service calls it invalid or expired.
 * 429s wait the `x-retry-after` milliseconds the service names (the HTTP client does that).
 */
export class AliyundriveApi {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenSource,
    private readonly pacer: Pacer,
    private readonly apiUrl: string,
  ) {}

  /** `body` may be built from the access token the call will carry (rapid upload's proof needs it). */
  async call<T>(path: string, body: object | ((accessToken: string) => object | Promise<object>), cls: RateClass = 'other'): Promise<T> {
    return withFreshToken(this.tokens, isRejectedAliyundriveToken, async (token) => {
      // Each attempt, the replay too, waits its turn at the pacer.
      const done = await this.pacer.take(cls);
      try {
        return await this.http.json<T>({
          method: 'POST',
          url: `${this.apiUrl}/adrive/v1.0/${path}`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(typeof body === 'function' ? await body(token) : body),
          idempotent: READ_ONLY.has(path),
        });
      } finally {
        done();
      }
    });
  }
}
