import type { HttpClient } from '../../http/client.js';
import type { Logger } from '../../util/log.js';
import { BROWSER_USER_AGENT } from './cookies.js';
import { downloadUrlFromTemplate } from './page-context.js';
import { openShare, type ShareAccess } from './share-access.js';
import { ShareRefused } from './share-errors.js';
import { isSiteLink, shareSiteFrom, type ShareSite } from './share-site.js';

/**
 * SharePoint's cookies last about half an hour and say nothing of it: renew well before, as
 * browsers and other clients do (every 20–25 minutes).
 */
export const COOKIE_TRUST_MS = 20 * 60_000;

export interface ShareState extends ShareAccess {
  site: ShareSite;
}

/**
 * The share's cookie for everyone who calls it. One renewal at a time: callers that saw the
 * same stale cookie refused all wait for the same new one instead of each opening the link.
 */
export class ShareSession {
  private state?: ShareState;
  private inflight?: Promise<ShareState>;
  /** How many times the link was opened (for tests and log lines). */
  opened = 0;

  constructor(
    private readonly http: HttpClient,
    private readonly url: string,
    private readonly password: string | undefined,
    private readonly log: Logger,
    private readonly trustMs = COOKIE_TRUST_MS,
  ) {}

  /** The cookie to use now: a valid one, renewed ahead of time once it is old. */
  async current(): Promise<ShareState> {
    const s = this.state;
    if (s && Date.now() - s.obtainedAt < this.trustMs) return s;
    return this.renew(s);
  }

  /** `stale` was refused (an HTML page, 401/403): open the link again unless someone already did. */
  renew(stale: ShareState | undefined): Promise<ShareState> {
    if (this.state && this.state !== stale) return Promise.resolve(this.state);
    this.inflight ??= this.open().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** A SharePoint site link downloads from where its page's templateUrl says (not guessed). */
  private async siteDownloadUrl(access: ShareAccess): Promise<string> {
    const res = await this.http.request({
      url: access.location,
      headers: { 'user-agent': BROWSER_USER_AGENT, accept: 'text/html', cookie: access.jar.header(access.location), referer: access.location },
      acceptStatus: [301, 302, 303, 307, 401, 403],
    });
    const html = res.status < 300 ? await res.body.text() : (await res.body.dump(), '');
    const url = downloadUrlFromTemplate(html);
    if (!url) throw new ShareRefused('the SharePoint site page of this link names no templateUrl, so where its files download from is unknown');
    return url;
  }

  private async open(): Promise<ShareState> {
    const access = await openShare(this.http, this.url, this.password);
    const site = shareSiteFrom(access.location);
    if (isSiteLink(this.url)) site.downloadUrl = await this.siteDownloadUrl(access);
    const state = { ...access, site };
    this.opened++;
    if (this.state) this.log.debug({ opened: this.opened }, 'share cookie renewed');
    this.state = state;
    return state;
  }
}
