import type { HttpClient } from '../../http/client.js';
import { BROWSER_USER_AGENT } from './cookies.js';
import { REFUSED, withCookie } from './share-api.js';
import type { ShareSession } from './share-session.js';

/** What the folder page's `_spPageContextInfo` tells about the share. */
export interface PageContext {
  /** A Graph-style drive and a token for it: present only where the share grants edit rights. */
  drive?: { url: string; accessToken: string };
  /** The site's title (the owner's name on a personal site). */
  webTitle?: string;
}

/** Fetch the page the link redirected to and read its page context. */
export async function fetchPageContext(http: HttpClient, session: ShareSession): Promise<PageContext> {
  return withCookie(session, 'page context', async (s) => {
    const res = await http.request({
      url: s.location,
      headers: { 'user-agent': BROWSER_USER_AGENT, accept: 'text/html', cookie: s.jar.header(s.location), referer: s.location },
      acceptStatus: [301, 302, 303, 307, 401, 403],
    });
    if (res.status >= 300) {
      await res.body.dump();
      return REFUSED; // sent to sign in: the cookie expired
    }
    const html = await res.body.text();
    // The folder page always carries its context; a page without one is the sign-in page
    // SharePoint answers (status 200) once the cookie expired — not a share without edit rights.
    if (!html.includes('_spPageContextInfo')) return REFUSED;
    return parsePageContext(html);
  });
}

/**
 * Where a SharePoint *site* link's files download from: `download.aspx` under the web that the
 * page's `templateUrl` names (everything before its `/_layouts/`). Undefined when the page has none.
 */
export function downloadUrlFromTemplate(html: string): string | undefined {
  const m = /"templateUrl"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(html);
  if (!m) return undefined;
  let template: URL;
  try {
    template = new URL(JSON.parse(m[1]!) as string);
  } catch {
    return undefined;
  }
  const layouts = template.pathname.indexOf('/_layouts/');
  const web = layouts >= 0 ? template.pathname.slice(0, layouts) : template.pathname.replace(/\/[^/]*$/, '');
  return `${template.origin}${web}/_layouts/15/download.aspx`;
}

export function parsePageContext(html: string): PageContext {
  const at = html.indexOf('_spPageContextInfo');
  const json = at < 0 ? undefined : objectAt(html, html.indexOf('{', at));
  if (!json) return {};
  let info: { driveInfo?: { driveUrl?: unknown; driveAccessToken?: unknown }; webTitle?: unknown };
  try {
    info = JSON.parse(json);
  } catch {
    return {};
  }
  const d = info.driveInfo;
  const token = typeof d?.driveAccessToken === 'string' ? d.driveAccessToken.replace(/^access_token=/, '') : undefined;
  return {
    drive: typeof d?.driveUrl === 'string' && token ? { url: d.driveUrl.replace(/\/+$/, ''), accessToken: token } : undefined,
    webTitle: typeof info.webTitle === 'string' ? info.webTitle : undefined,
  };
}

/** The JSON object starting at `start` (braces matched outside strings). */
function objectAt(text: string, start: number): string | undefined {
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}
