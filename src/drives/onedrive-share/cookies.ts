/**
 * The few cookie mechanics a share needs, scoped as a browser scopes them (RFC 6265 §5.3): a
 * cookie goes back only to the host that set it, or — with a `Domain` attribute the setting host
 * lies within — to that domain and its subdomains. A `Domain` the host does not lie within is
 * ignored, so a page on one host cannot plant or receive another host's session. Paths are not
 * told apart (SharePoint sets its cookies on `/`).
 */
interface StoredCookie {
  value: string;
  /** Lower-case host or domain. */
  domain: string;
  /** Set without `Domain`: only for exactly that host. */
  hostOnly: boolean;
}

export class CookieJar {
  /** `${domain}\t${name}` → the cookie. */
  private readonly cookies = new Map<string, StoredCookie & { name: string }>();

  /** Take in the Set-Cookie headers of an answer from `url`. */
  absorb(url: string, header: string | string[] | undefined): void {
    const host = new URL(url).hostname.toLowerCase();
    const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
    for (const line of lines) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      let domain = host;
      let hostOnly = true;
      for (const a of attrs) {
        const [k, v] = a.split('=', 2).map((x) => x.trim());
        if (k!.toLowerCase() === 'domain' && v) {
          const d = v.replace(/^\./, '').toLowerCase();
          if (!domainMatches(host, d)) {
            domain = '';
            break;
          }
          domain = d;
          hostOnly = false;
        }
      }
      if (domain === '') continue; // a Domain the host is not in: refused, as browsers do
      const key = `${domain}\t${name}`;
      if (value === '') this.cookies.delete(key); // an emptied cookie is a deleted one
      else this.cookies.set(key, { name, value, domain, hostOnly });
    }
  }

  /** The `Cookie` header for a request to `url` ('' when no cookie applies). */
  header(url: string): string {
    return this.matching(url)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** Whether a cookie of this name would be sent to `url`. */
  has(name: string, url: string): boolean {
    return this.matching(url).some((c) => c.name === name);
  }

  private matching(url: string): (StoredCookie & { name: string })[] {
    const host = new URL(url).hostname.toLowerCase();
    return [...this.cookies.values()].filter((c) => (c.hostOnly ? c.domain === host : domainMatches(host, c.domain)));
  }
}

/** `host` is `domain` or one of its subdomains (and not an IP address lying "inside" a shorter one). */
function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true;
  if (/^[\d.]+$|:/.test(host)) return false;
  return host.endsWith(`.${domain}`);
}

/** SharePoint's session cookie: its presence is what grants access to the share. */
export const SESSION_COOKIE = 'FedAuth';

/** SharePoint answers a browser; an unknown client may get a different page. */
export const BROWSER_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

/** An HTML page where bytes or JSON were expected: SharePoint's sign-in page after the cookie expired. */
export function isHtml(headers: Record<string, string | string[] | undefined>): boolean {
  const ct = headers['content-type'];
  return /text\/html/i.test(Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? ''));
}
