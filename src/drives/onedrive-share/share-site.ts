import { ShareRefused } from './share-errors.js';

/**
 * Where a share's folder lives, derived from the address its share URL redirects to:
 * `https://{host}/personal/{user}/_layouts/15/onedrive.aspx?id=/personal/{user}/Documents/Team`
 * (or a site library's `.../Forms/AllItems.aspx?id=...`).
 */
export interface ShareSite {
  origin: string;
  /** `/personal/{user}` or `/sites/{site}`: the web whose API serves the listing. */
  webPath: string;
  /** Server-relative URL of the document library (`/personal/{user}/Documents`). */
  listUrl: string;
  /** Server-relative URL of the shared folder: the mount's root. */
  rootFolder: string;
  /** `download.aspx` next to the page the link redirected to (for a site link: from the page's templateUrl). */
  downloadUrl: string;
  /** The redirect target itself (the Referer of later calls, the page with the page context). */
  location: string;
}

export function shareSiteFrom(location: string): ShareSite {
  let u: URL;
  try {
    u = new URL(location);
  } catch {
    throw new ShareRefused(`the share link redirected to an address that is not a URL: ${location}`);
  }
  const rootFolder = trimSlash(u.searchParams.get('id') ?? '');
  if (!rootFolder.startsWith('/')) {
    throw new ShareRefused(`the share link redirected to ${u.origin}${u.pathname}, which names no shared folder (no "id"): is it a link to a single file?`);
  }
  const path = decodeURIComponent(u.pathname);
  let webPath: string;
  let downloadUrl: string;
  const layouts = path.indexOf('/_layouts/');
  const forms = path.indexOf('/Forms/');
  if (layouts >= 0) {
    webPath = path.slice(0, layouts);
    downloadUrl = new URL('download.aspx', u).toString();
  } else if (forms >= 0) {
    webPath = path.slice(0, path.lastIndexOf('/', forms - 1));
    downloadUrl = `${u.origin}${encodeURI(webPath)}/_layouts/15/download.aspx`;
  } else {
    throw new ShareRefused(`the share link redirected to ${u.origin}${u.pathname}, which is not a SharePoint folder view`);
  }
  if (!rootFolder.startsWith(`${webPath}/`)) {
    throw new ShareRefused(`the shared folder ${rootFolder} is not inside the site ${webPath}`);
  }
  const library = rootFolder.slice(webPath.length + 1).split('/')[0]!;
  return { origin: u.origin, webPath, listUrl: `${webPath}/${library}`, rootFolder, downloadUrl, location };
}

function trimSlash(s: string): string {
  return s.length > 1 ? s.replace(/\/+$/, '') : s;
}

/** The owner's account as the site path names it (`/personal/jdoe_contoso_com` → jdoe_contoso_com). */
export function ownerOf(site: ShareSite): string {
  return site.webPath.split('/').filter(Boolean).pop() ?? site.origin;
}

/**
 * A SharePoint *site* link (`https://contoso.sharepoint.com/:f:/s/team/…`) rather than a
 * personal one: its host lacks `-my`. Such a link's download base comes from its page.
 */
export function isSiteLink(shareUrl: string): boolean {
  return !/-my\./i.test(new URL(shareUrl).hostname);
}
