import { RemoteFields } from '../../config/remote-spec.js';
import { ConfigError } from '../../util/errors.js';

/** Login and Graph hosts of each national cloud (docs/services/onedrive.md, "Hosts and regions"). */
export const REGIONS = {
  global: { auth: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com' },
  cn: { auth: 'https://login.chinacloudapi.cn', graph: 'https://microsoftgraph.chinacloudapi.cn' },
  us: { auth: 'https://login.microsoftonline.us', graph: 'https://graph.microsoft.us' },
  de: { auth: 'https://login.microsoftonline.de', graph: 'https://graph.microsoft.de' },
} as const;
export type Region = keyof typeof REGIONS;

export interface OneDriveConfig {
  type: 'onedrive';
  refreshToken: string;
  clientId: string;
  clientSecret?: string;
  region: Region;
  tenant: string;
  driveId?: string;
  siteId?: string;
  rootPath: string;
  /** Token endpoint: `${authUrl}/${tenant}/oauth2/v2.0/token`. */
  authUrl: string;
  /** API root: `${graphUrl}/v1.0`. */
  graphUrl: string;
}

const KNOWN = ['type', 'refreshToken', 'clientId', 'clientSecret', 'region', 'tenant', 'driveId', 'siteId', 'rootPath', 'authUrl', 'graphUrl'] as const;

export function parseOneDriveConfig(name: string, remote: Record<string, unknown>): OneDriveConfig {
  const f = new RemoteFields(remote, `remote "${name}"`);
  f.rejectUnknown(KNOWN);
  const region = f.oneOf('region', Object.keys(REGIONS) as Region[], 'global');
  const driveId = f.optionalString('driveId');
  const siteId = f.optionalString('siteId');
  if (driveId && siteId) throw new ConfigError(`remote "${name}": set either "driveId" or "siteId", not both`);
  return {
    type: 'onedrive',
    refreshToken: f.requiredString('refreshToken', 'obtain one by logging in (see README "OneDrive")'),
    clientId: f.requiredString('clientId', 'the Application (client) ID of your app registration'),
    clientSecret: f.optionalString('clientSecret'),
    region,
    tenant: f.optionalString('tenant') ?? 'common',
    driveId,
    siteId,
    rootPath: f.optionalPath('rootPath', '/'),
    authUrl: f.optionalUrl('authUrl') ?? REGIONS[region].auth,
    graphUrl: f.optionalUrl('graphUrl') ?? REGIONS[region].graph,
  };
}

/** The drive's path under /v1.0: a SharePoint site's library, another drive, or the user's own. */
export function driveBase(d: { siteId?: string; driveId?: string }): string {
  if (d.siteId) return `/sites/${encodeURIComponent(d.siteId)}/drive`;
  if (d.driveId) return `/drives/${encodeURIComponent(d.driveId)}`;
  return '/me/drive';
}
