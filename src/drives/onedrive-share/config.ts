import { RemoteFields } from '../../config/remote-spec.js';
import { ConfigError } from '../../util/errors.js';

/** A remote mounting a OneDrive for work/school or SharePoint share link. */
export interface ShareConfig {
  type: 'onedrive-share';
  /** The share URL exactly as received; every other address is derived from it and its answers. */
  url: string;
  password?: string;
}

const KNOWN = ['type', 'url', 'password'] as const;

/** Hosts of consumer OneDrive, whose links this method cannot open. */
const CONSUMER_HOSTS = ['onedrive.live.com', '1drv.ms'];

/** Why a link cannot be mounted as a share, or undefined when it looks like one. */
export function unsupportedLinkReason(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'the share link is not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `the share link is not an http(s) URL (it starts with ${JSON.stringify(u.protocol)})`;
  const host = u.hostname.toLowerCase();
  if (CONSUMER_HOSTS.some((h) => host === h || host.endsWith(`.${h}`))) {
    return `${host} is a personal (consumer) OneDrive link: share links can only be mounted from OneDrive for work or school and SharePoint (https://TENANT-my.sharepoint.com/:f:/g/personal/...). Mount a personal OneDrive with "drivemount login onedrive" instead`;
  }
  return undefined;
}

export function parseShareConfig(name: string, remote: Record<string, unknown>): ShareConfig {
  const f = new RemoteFields(remote, `remote "${name}"`);
  f.rejectUnknown(KNOWN);
  const url = f.requiredString('url', 'the share link, e.g. https://contoso-my.sharepoint.com/:f:/g/personal/jdoe_contoso_com/Es…?e=…');
  const reason = unsupportedLinkReason(url);
  if (reason) throw new ConfigError(`remote "${name}": ${reason}`);
  return { type: 'onedrive-share', url, password: f.optionalString('password') };
}
