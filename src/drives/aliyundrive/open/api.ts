import type { HttpClient } from '../../../http/client.js';
import type { TokenSource } from '../../token-source.js';
import type { Pacer, RateClass } from '../pacer.js';
import { withFreshToken } from '../../fresh-token.js';
import { isRejectedAccessToken } from '../errors.js';

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
    return withFreshToken(this.tokens, isRejectedAccessToken, async (token) =>
      this.http.json<T>({
        method: 'POST',
        url: `${this.apiUrl}/adrive/v1.0/${path}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(typeof body === 'function' ? await body(token) : body),
        idempotent: READ_ONLY.has(path),
        // Each attempt (the HTTP client's retries and the replay too) waits its turn at the pacer.
        pace: () => this.pacer.take(cls),
      }),
    );
  }
}
