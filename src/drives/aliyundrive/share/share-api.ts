import type { HttpClient } from '../../../http/client.js';
import { withFreshToken } from '../../fresh-token.js';
import type { LegacyApi } from '../legacy/api.js';
import { requestIdHeader } from '../legacy/headers.js';
import type { Pacer, RateClass } from '../pacer.js';
import { isShareTokenInvalid } from './share-errors.js';
import type { ShareTokens } from './share-token.js';

/** The canary share clients send on the share namespace (the web app's). */
export const SHARE_CANARY = 'client=web,app=share,version=v2.3.1';

/** Share-namespace calls that only read, so a lost answer may be asked again. */
const READ_ONLY = new Set(['/adrive/v3/file/list']);

/**
 * Calls about a share: each carries the share token (renewed and the call replayed once when the
 * service calls it invalid). Listings go out without the user's bearer, as share clients send
 * them; calls that need the user (download links, copies into the user's drive) go through the
 * legacy API client, which adds the bearer (and, for writes to the user's drive, the device session).
 */
export class ShareApi {
  constructor(
    private readonly o: { http: HttpClient; pacer: Pacer; apiUrl: string; tokens: ShareTokens; user: LegacyApi },
  ) {}

  /** A share-namespace call with the share token only. */
  anonymous<T>(path: string, body: object, cls: RateClass): Promise<T> {
    return withFreshToken(this.o.tokens, isShareTokenInvalid, (shareToken) =>
      this.o.http.json<T>({
        method: 'POST',
        url: `${this.o.apiUrl}${path}`,
        headers: { 'content-type': 'application/json', 'x-canary': SHARE_CANARY, 'x-share-token': shareToken, ...requestIdHeader() },
        body: JSON.stringify(body),
        idempotent: READ_ONLY.has(path),
        pace: () => this.o.pacer.take(cls),
      }),
    );
  }

  /**
   * A call as the signed-in user with the share token too. `device`: a write to the user's own
   * drive, which needs the device session; `maxRetries`: the HTTP client's retries of this call.
   */
  asUser<T>(path: string, body: object, cls: RateClass, opts: { device: boolean; maxRetries?: number; check?: (answer: T) => void }): Promise<T> {
    return withFreshToken(this.o.tokens, isShareTokenInvalid, async (shareToken) => {
      const a = await this.o.user.call<T>(path, body, cls, {
        device: opts.device,
        headers: { 'x-share-token': shareToken, ...(opts.device ? {} : { 'x-canary': SHARE_CANARY }) },
        maxRetries: opts.maxRetries,
      });
      // A batch answers 200 with the sub-request's refusal inside: `check` throws it, so a dead share token is renewed here too.
      opts.check?.(a);
      return a;
    });
  }
}
