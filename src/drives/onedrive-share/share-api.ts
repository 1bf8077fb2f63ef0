import type { HttpClient, HttpResponse } from '../../http/client.js';
import { HttpError, httpToDriveError } from '../../http/http-error.js';
import { DriveError } from '../../util/errors.js';
import { BROWSER_USER_AGENT, isHtml } from './cookies.js';
import { ShareRefused, mountedRefusal } from './share-errors.js';
import type { ShareSession, ShareState } from './share-session.js';

/** Answers that mean "this cookie no longer opens the share". */
const COOKIE_REFUSED = [301, 302, 303, 307, 401, 403];
/** A fresh cookie refused at once twice means the share itself refuses us. */
const MAX_RENEWALS = 2;

/** Call `fn` with a current cookie; on a refused cookie renew it (one renewal for all callers) and call again. */
export async function withCookie<T>(session: ShareSession, what: string, fn: (s: ShareState) => Promise<T | typeof REFUSED>): Promise<T> {
  let state = await current(session, () => session.current());
  for (let renewals = 0; ; renewals++) {
    const out = await fn(state);
    if (out !== REFUSED) return out;
    if (renewals >= MAX_RENEWALS) throw new DriveError('EACCES', `${what}: the share keeps refusing a fresh cookie`);
    const stale = state;
    state = await current(session, () => session.renew(stale));
  }
}

/** `fn`'s answer when the service refused the cookie. */
export const REFUSED = Symbol('cookie refused');

async function current(session: ShareSession, get: () => Promise<ShareState>): Promise<ShareState> {
  try {
    return await get();
  } catch (e) {
    if (e instanceof ShareRefused) throw mountedRefusal(e);
    throw e;
  }
}

/** The share's JSON API (listings) with the cookie, retried after a renewal when the cookie was refused. */
export async function shareJson<T>(http: HttpClient, session: ShareSession, what: string, url: (s: ShareState) => string, body: (s: ShareState) => unknown): Promise<T> {
  return withCookie(session, what, async (s) => {
    let res: HttpResponse;
    const target = url(s);
    try {
      res = await http.request({
        method: 'POST',
        url: target,
        headers: {
          'user-agent': BROWSER_USER_AGENT,
          accept: 'application/json;odata=verbose',
          'content-type': 'application/json;odata=verbose',
          cookie: s.jar.header(target),
          referer: s.location,
        },
        body: JSON.stringify(body(s)),
        idempotent: true, // a listing changes nothing
        acceptStatus: COOKIE_REFUSED,
      });
    } catch (e) {
      if (e instanceof HttpError) throw httpToDriveError(e, what);
      throw e;
    }
    if (COOKIE_REFUSED.includes(res.status) || isHtml(res.headers)) {
      await res.body.dump();
      return REFUSED;
    }
    const text = await res.body.text();
    http.stats.bytesReceived += text.length;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DriveError('EIO', `${what}: the answer is not JSON`);
    }
  });
}
