/**
 * The few cookie mechanics a share needs: the `name=value` pairs of Set-Cookie headers merged
 * into one `Cookie` header (later values win), and whether the session cookie is among them.
 */
export type CookieJar = Map<string, string>;

export function absorbSetCookie(jar: CookieJar, header: string | string[] | undefined): void {
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const line of lines) {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '') jar.delete(name); // an emptied cookie is a deleted one
    else jar.set(name, value);
  }
}

export function cookieHeader(jar: CookieJar): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
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
