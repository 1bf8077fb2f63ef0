// One-shot Graph calls a login makes with the access token it just received, before any remote
// exists: which drive the account has, and which site a SharePoint URL names.

import type { HttpClient } from '../../http/client.js';
import { HttpError } from '../../http/http-error.js';
import { ConfigError, DriveError } from '../../util/errors.js';
import { itemPath } from './drive-items.js';

export interface DriveSummary {
  id: string;
  driveType?: string;
  name?: string;
  owner?: string;
  quota?: { total?: number; used?: number; remaining?: number };
}

export interface SiteSummary {
  id: string;
  displayName?: string;
  webUrl?: string;
}

interface GraphDrive {
  id: string;
  driveType?: string;
  name?: string;
  owner?: { user?: { displayName?: string; email?: string }; group?: { displayName?: string } };
  quota?: DriveSummary['quota'];
}

export function summarizeDrive(d: GraphDrive): DriveSummary {
  const owner = d.owner?.user?.email ?? d.owner?.user?.displayName ?? d.owner?.group?.displayName;
  return { id: d.id, driveType: d.driveType, name: d.name, owner, quota: d.quota };
}

export class DriveLookup {
  constructor(
    private readonly http: HttpClient,
    private readonly graphUrl: string,
    private readonly accessToken: string,
  ) {}

  private async get<T>(path: string, what: string): Promise<T> {
    try {
      return await this.http.json<T>({ url: `${this.graphUrl}/v1.0${path}`, headers: { authorization: `Bearer ${this.accessToken}` } });
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) throw new DriveError('ENOENT', `${what}: not found (${e.serviceCode ?? 'HTTP 404'})`);
      if (e instanceof HttpError && (e.status === 401 || e.status === 403)) {
        throw new DriveError('EACCES', `${what}: access denied (${e.serviceCode ?? `HTTP ${e.status}`}) — does the app have the permission?`);
      }
      throw e;
    }
  }

  /** `/me/drive`, `/drives/{id}` or `/sites/{id}/drive`. */
  async drive(base: string): Promise<DriveSummary> {
    return summarizeDrive(await this.get<GraphDrive>(base, `the drive ${base}`));
  }

  /** The remote's root folder must exist before it is saved: a typo would otherwise fail at mount time. */
  async requireFolder(base: string, rootPath: string): Promise<void> {
    const item = await this.get<{ folder?: unknown }>(`${base}${itemPath(rootPath)}`, `the folder ${rootPath}`);
    if (!item.folder) throw new ConfigError(`${rootPath} is a file, not a folder: --root-path must name a folder`);
  }

  /** `https://tenant.sharepoint.com/sites/x` → its site, via `GET /sites/{host}:/{path}` (seed 000). */
  async siteByUrl(siteUrl: string): Promise<SiteSummary> {
    const { host, path } = parseSiteUrl(siteUrl);
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    const site = await this.get<SiteSummary>(`/sites/${host}:${encoded}`, `the SharePoint site ${siteUrl}`);
    if (!site?.id) throw new DriveError('EIO', `the SharePoint site ${siteUrl}: the answer has no id`);
    return { id: site.id, displayName: site.displayName, webUrl: site.webUrl };
  }
}

/** A site URL as users copy it from the browser: host plus a server-relative path such as /sites/x. */
export function parseSiteUrl(text: string): { host: string; path: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new ConfigError(`"${text}" is not a URL; give the site's address, e.g. https://contoso.sharepoint.com/sites/team`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`the site URL must be an https address (got "${text}")`);
  const path = decodeURIComponent(u.pathname).replace(/\/+$/, '').replace(/\/(SitePages|Shared Documents|Forms)(\/.*)?$/i, '');
  if (!path || path === '/') throw new ConfigError(`the site URL ${text} names no site path; it looks like https://${u.host}/sites/NAME`);
  return { host: u.host, path };
}
