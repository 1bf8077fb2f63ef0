import type { HttpClient, HttpRequest } from '../../http/client.js';

/**
 * The HTTP client as Graph calls see it, for the drive a share's page context offers: that drive
 * takes its token as `?access_token=` rather than as an Authorization header. A view of the
 * mount's own client (its pool, retries and counters) that only rewrites the requests; a view
 * rather than a subclass, because the HTTP module is still loading when drivers are registered.
 */
export function queryTokenHttp(inner: HttpClient): HttpClient {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'request') return (req: HttpRequest) => target.request(moveToken(req));
      if (prop === 'json') return <T>(req: HttpRequest) => target.json<T>(moveToken(req));
      return Reflect.get(target, prop, receiver);
    },
  });
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
