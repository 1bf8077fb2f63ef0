import type { HttpClient, HttpResponse } from '../../http/client.js';
import { BROWSER_USER_AGENT, CookieJar, SESSION_COOKIE } from './cookies.js';
import { ShareRefused } from './share-errors.js';

/** What opening a share link gives: the cookie that grants access and where the link led. */
export interface ShareAccess {
  /** The cookies the link set, each sent only to the host (or domain) that set it. */
  jar: CookieJar;
  location: string;
  obtainedAt: number;
}

const MAX_REDIRECTS = 8;
const REDIRECTS = [301, 302, 303, 307, 308];
/** Answers that carry a page or a refusal rather than an error to throw. */
const ACCEPT = [...REDIRECTS, 400, 401, 403, 404, 410];

/**
 * Open a share link as a browser would. Without a password the link's redirect sets the
 * `FedAuth` cookie; a link that answers with a page instead is password protected, and its
 * form is posted with the password and the page's hidden fields.
 */
export async function openShare(http: HttpClient, url: string, password: string | undefined, signal?: AbortSignal): Promise<ShareAccess> {
  const jar = new CookieJar();
  const first = await get(http, url, jar, signal);
  if (REDIRECTS.includes(first.status)) {
    const location = locationOf(first, url);
    await first.body.dump();
    if (jar.has(SESSION_COOKIE, location)) return { jar, location, obtainedAt: Date.now() };
    if (password === undefined) {
      // A redirect without the cookie leads to a sign-in page: the link is not open to anyone.
      throw new ShareRefused(`the share link does not grant access without signing in (it redirects to ${new URL(location).origin}${new URL(location).pathname}): it may be restricted to people in the organisation, or revoked`);
    }
  } else {
    await refuseErrorAnswer(first);
    if (password === undefined) {
      await first.body.dump();
      throw new ShareRefused('the share link is password protected: give its password (--password, or "password" in the remote)');
    }
  }
  await first.body.dump().catch(() => undefined);
  return postPassword(http, url, password, jar, signal);
}

async function postPassword(http: HttpClient, url: string, password: string, jar: CookieJar, signal?: AbortSignal): Promise<ShareAccess> {
  // The password page, following redirects as a browser does.
  let at = url;
  let page: HttpResponse | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await get(http, at, jar, signal);
    if (!REDIRECTS.includes(res.status)) {
      page = res;
      break;
    }
    at = locationOf(res, at);
    await res.body.dump();
  }
  if (!page) throw new ShareRefused('the share link redirects without end');
  await refuseErrorAnswer(page);
  const html = await page.body.text();
  const form = passwordForm(html, at);
  if (!form) throw new ShareRefused('the share link shows no password form: it may have been revoked or have expired');
  const body = new URLSearchParams({ ...form.hidden, txtPassword: password, __VIEWSTATEENCRYPTED: '' }).toString();
  const res = await http.request({
    method: 'POST',
    url: form.action,
    headers: {
      'user-agent': BROWSER_USER_AGENT,
      'content-type': 'application/x-www-form-urlencoded',
      cookie: jar.header(form.action),
      referer: at,
    },
    body,
    signal,
    acceptStatus: ACCEPT,
    preauthenticated: true, // the action names the share: only its origin may be logged
  });
  jar.absorb(form.action, res.headers['set-cookie']);
  await refuseErrorAnswer(res);
  const location = REDIRECTS.includes(res.status) ? locationOf(res, form.action) : undefined;
  await res.body.dump();
  if (!location) {
    if (!jar.has(SESSION_COOKIE, form.action)) throw new ShareRefused('the share link refused the password: it is wrong');
    throw new ShareRefused('the share link accepted the password but led nowhere (no redirect to the folder)');
  }
  if (!jar.has(SESSION_COOKIE, location)) throw new ShareRefused('the share link refused the password: it is wrong');
  return { jar, location, obtainedAt: Date.now() };
}

async function get(http: HttpClient, url: string, jar: CookieJar, signal?: AbortSignal): Promise<HttpResponse> {
  const headers: Record<string, string> = { 'user-agent': BROWSER_USER_AGENT, accept: 'text/html,application/xhtml+xml' };
  const cookie = jar.header(url);
  if (cookie) headers.cookie = cookie;
  // The link itself is a bearer capability: only its origin may reach a log line.
  const res = await http.request({ url, headers, signal, acceptStatus: ACCEPT, preauthenticated: true });
  jar.absorb(url, res.headers['set-cookie']);
  return res;
}

/** 404/410 (and 400/401/403) from the link itself: it no longer leads anywhere. */
async function refuseErrorAnswer(res: HttpResponse): Promise<void> {
  if (res.status < 400) return;
  await res.body.dump().catch(() => undefined);
  throw new ShareRefused(`the share link answers HTTP ${res.status}: it has been revoked, has expired, or never existed`);
}

function locationOf(res: HttpResponse, base: string): string {
  const loc = res.headers.location;
  const v = Array.isArray(loc) ? loc[0] : loc;
  if (!v) throw new ShareRefused(`the share link answered HTTP ${res.status} without a Location`);
  return new URL(v, base).toString();
}

/** The page's form: its action and hidden ASP.NET fields. */
export function passwordForm(html: string, pageUrl: string): { action: string; hidden: Record<string, string> } | undefined {
  const formTag = /<form\b[^>]*>/i.exec(html)?.[0];
  if (!formTag || !/name=["']?txtPassword/i.test(html)) return undefined;
  const action = attr(formTag, 'action');
  const hidden: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0];
    if ((attr(tag, 'type') ?? '').toLowerCase() !== 'hidden') continue;
    const name = attr(tag, 'name');
    if (name && (name === '__VIEWSTATE' || name === '__EVENTVALIDATION' || name.startsWith('__'))) hidden[name] = attr(tag, 'value') ?? '';
  }
  if (hidden.__VIEWSTATE === undefined || hidden.__EVENTVALIDATION === undefined) return undefined;
  delete hidden.__VIEWSTATEENCRYPTED;
  return { action: new URL(decodeEntities(action ?? ''), pageUrl).toString(), hidden };
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '');
}

function decodeEntities(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return named[e.toLowerCase()] ?? whole;
  });
}
