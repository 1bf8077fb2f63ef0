import { HttpClient, type HttpRequest, type HttpResponse } from '../../http/client.js';

/**
 * The HTTP client as Graph calls see it, for the drive a share's page context offers: that drive
 * takes its token as `?access_token=` rather than as an Authorization header. Requests go through
 * the mount's own client (its pool, retries and counters); this one only rewrites them.
 */
export class QueryTokenHttp extends HttpClient {
  constructor(private readonly inner: HttpClient) {
    super({ connectionsPerOrigin: 1 }); // its own pool stays unused
  }

  override request(req: HttpRequest): Promise<HttpResponse> {
    return this.inner.request(moveToken(req));
  }

  override json<T>(req: HttpRequest): Promise<T> {
    return this.inner.json<T>(moveToken(req));
  }
}

function moveToken(req: HttpRequest): HttpRequest {
  const headers = { ...req.headers };
  let token: string | undefined;
  for (const k of Object.keys(headers)) {
    if (k.toLowerCase() === 'authorization') {
      token = headers[k]!.replace(/^Bearer\s+/i, '');
      delete headers[k];
    }
  }
  if (token === undefined) return req;
  // Appended, not re-serialised: the rest of the query ($select, @microsoft.graph...) stays as written.
  return { ...req, url: `${req.url}${req.url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`, headers };
}
