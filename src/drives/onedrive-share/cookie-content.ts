import { setTimeout as sleep } from 'node:timers/promises';
import { rangedBody } from '../content/ranged-body.js';
import type { HttpClient } from '../../http/client.js';
import { HttpError, httpToDriveError } from '../../http/http-error.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { RemoteEntry } from '../types.js';
import { BROWSER_USER_AGENT, isHtml } from './cookies.js';
import { ShareRefused, mountedRefusal } from './share-errors.js';
import type { ShareSession, ShareState } from './share-session.js';

/** Consecutive attempts that bring no new byte before the range is given up as EIO. */
const MAX_FRUITLESS_ATTEMPTS = 6;
const COOKIE_REFUSED = [301, 302, 303, 307, 401, 403];
const MAX_RENEWALS = 3;

/**
 * File content of a share: ranged GETs of `download.aspx?UniqueId=…` carrying the share's
 * cookie. The same contract as pre-authenticated links (LinkedContent): a body cut mid-way
 * resumes from the first missing byte, 429 waits Retry-After (the HTTP client does that), 416
 * means the file ended; where a link would be re-resolved, the cookie is renewed — an HTML page
 * instead of bytes, a 401/403 or a redirect to sign in — once for all readers that saw it refused.
 */
export class CookieContent {
  constructor(
    private readonly http: HttpClient,
    private readonly session: ShareSession,
    private readonly log: Logger,
  ) {}

  async *readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    let pos = start;
    let fruitless = 0;
    let renewals = 0; // renewals since the last byte: a fresh cookie refused again and again is a refusal
    let state = await this.state(() => this.session.current());
    while (pos < end) {
      if (signal?.aborted) throw new DriveError('EIO', 'download cancelled');
      const before = pos;
      try {
        const res = await this.http.request({
          url: `${state.site.downloadUrl}?UniqueId=${encodeURIComponent(entry.id)}`,
          // The cookie is the credential: only the origin of this address is ever logged.
          preauthenticated: true,
          headers: { 'user-agent': BROWSER_USER_AGENT, cookie: state.jar.header(state.site.downloadUrl), referer: state.location, range: `bytes=${pos}-${end - 1}` },
          signal,
          acceptStatus: [...COOKIE_REFUSED, 404, 410, 416],
        });
        const contentRange = header(res.headers['content-range']);
        if (res.status === 416) {
          await res.body.dump();
          return; // the file is shorter than its listed size
        }
        if (res.status === 404 || res.status === 410) {
          await res.body.dump();
          throw new DriveError('ENOENT', `download of ${path}: the share no longer has this file`);
        }
        if (COOKIE_REFUSED.includes(res.status) || (res.status === 200 && isHtml(res.headers) && !isAttachment(res.headers))) {
          // The cookie expired: SharePoint answers its sign-in page. Renew it and go on from `pos`.
          await res.body.dump();
          this.log.debug({ path, status: res.status }, 'share cookie refused on download, renewing');
          if (++renewals > MAX_RENEWALS) throw new DriveError('EACCES', `download of ${path}: the share keeps refusing a fresh cookie`);
          const stale = state;
          state = await this.state(() => this.session.renew(stale));
          continue;
        } else if (res.status === 200 || (res.status === 206 && rangeStart(contentRange) === pos)) {
          // A 200 means the host ignored Range: skip what we already have.
          for await (const p of rangedBody(res.body, res.status === 200 ? pos : 0, end - pos)) {
            pos += p.length;
            yield p;
          }
          if (pos === before && pos < end) return; // a clean, empty answer: nothing more exists
        } else {
          await res.body.dump();
          this.log.debug({ path, status: res.status }, 'unexpected answer to a ranged download, retrying');
        }
      } catch (e) {
        if (signal?.aborted) throw new DriveError('EIO', 'download cancelled');
        if (e instanceof DriveError) throw e;
        if (e instanceof HttpError) throw httpToDriveError(e, `download of ${path}`);
        this.log.debug({ path, from: pos, err: (e as Error).message }, 'range download interrupted, resuming');
      }
      if (pos > before) renewals = 0;
      fruitless = pos > before ? 0 : fruitless + 1;
      if (fruitless >= MAX_FRUITLESS_ATTEMPTS) {
        throw new DriveError('EIO', `download of ${path} failed: no progress after ${fruitless} attempts at byte ${pos}`);
      }
      if (fruitless > 1) await sleep(200 * 2 ** (fruitless - 2), undefined, { signal }).catch(() => undefined);
    }
  }

  private async state(get: () => Promise<ShareState>): Promise<ShareState> {
    try {
      return await get();
    } catch (e) {
      if (e instanceof ShareRefused) throw mountedRefusal(e);
      throw e;
    }
  }
}

function header(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** A file's bytes come as an attachment; the sign-in page does not. */
function isAttachment(headers: Record<string, string | string[] | undefined>): boolean {
  return /attachment/i.test(header(headers['content-disposition']));
}

function rangeStart(v: string): number | undefined {
  const m = /^bytes (\d+)-/.exec(v);
  return m ? Number(m[1]) : undefined;
}
