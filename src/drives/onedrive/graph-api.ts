import type { HttpClient, HttpRequest } from '../../http/client.js';
import { HttpError } from '../../http/http-error.js';
import type { TokenSource } from '../token-source.js';
import { withFreshToken } from '../fresh-token.js';

/** Graph's word for an access token it no longer accepts (a bare 401 counts too). */
function isRejectedGraphToken(e: unknown): boolean {
  return e instanceof HttpError && e.status === 401 && (e.serviceCode ?? 'InvalidAuthenticationToken') === 'InvalidAuthenticationToken';
}

/**
 * Authorised Graph calls. A 401 InvalidAuthenticationToken means the access token died early
 * (revoked, clock skew): refresh and replay the request once, as Graph asks (docs/services/onedrive.md, "Authorisation and tokens").
 */
export class GraphApi {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenSource,
    /** `{graph}/v1.0` */
    readonly root: string,
  ) {}

  /** `pathOrUrl` is relative to /v1.0 (starting with "/") or an absolute nextLink used verbatim. */
  async json<T>(pathOrUrl: string, req: Omit<HttpRequest, 'url'> = {}): Promise<T> {
    const url = pathOrUrl.startsWith('/') ? this.root + pathOrUrl : pathOrUrl;
    return withFreshToken(this.tokens, isRejectedGraphToken, (token) =>
      this.http.json<T>({
        ...req,
        url,
        headers: { authorization: `Bearer ${token}`, ...(req.body ? { 'content-type': 'application/json' } : {}), ...req.headers },
      }),
    );
  }
}
