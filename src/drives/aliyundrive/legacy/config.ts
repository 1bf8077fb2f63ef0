import { RemoteFields } from '../../../config/remote-spec.js';
import { ConfigError } from '../../../util/errors.js';

export const LEGACY_AUTH_URL = 'https://auth.alipan.com';
export const LEGACY_API_URL = 'https://api.alipan.com';

/** The config contract of `"type": "aliyundrive"` (the legacy, mobile-app API). */
export interface LegacyConfig {
  type: 'aliyundrive';
  refreshToken: string;
  /** The driver appends `/v2/account/token`. */
  authUrl: string;
  /** The driver appends the API paths. */
  apiUrl: string;
  driveType: 'default' | 'resource' | 'backup';
  rootFolderId: string;
  /** Trash only: the wire facts establish no permanent-delete call for this API (see parseLegacyConfig). */
  removeWay: 'trash';
  rapidUpload: boolean;
}

const KNOWN = ['type', 'refreshToken', 'authUrl', 'apiUrl', 'driveType', 'rootFolderId', 'removeWay', 'rapidUpload'] as const;

export function parseLegacyConfig(name: string, remote: Record<string, unknown>): LegacyConfig {
  const where = `remote "${name}"`;
  const f = new RemoteFields(remote, where);
  f.rejectUnknown(KNOWN);
  // The legacy API's wire facts give only /v2/recyclebin/trash; a "delete" that quietly trashed
  // would keep the bytes (and the space they take) behind the user's back, so it is refused.
  if (remote.removeWay === 'delete') {
    throw new ConfigError(`${where}: "removeWay" "delete" is not available with the legacy API (no permanent-delete call is known for it); use "trash" (the default) and empty the recycle bin in the app`);
  }
  const rapid = remote.rapidUpload;
  if (rapid !== undefined && typeof rapid !== 'boolean') throw new ConfigError(`${where}: "rapidUpload" must be true or false`);
  return {
    type: 'aliyundrive',
    refreshToken: f.requiredString('refreshToken', 'the mobile app\'s refresh token (see README "Aliyundrive legacy API"); or use "drivemount login aliyundrive-legacy"'),
    authUrl: f.optionalUrl('authUrl') ?? LEGACY_AUTH_URL,
    apiUrl: f.optionalUrl('apiUrl') ?? LEGACY_API_URL,
    driveType: f.oneOf('driveType', ['default', 'resource', 'backup'] as const, 'default'),
    rootFolderId: f.optionalString('rootFolderId') ?? 'root',
    removeWay: f.oneOf('removeWay', ['trash'] as const, 'trash'),
    rapidUpload: rapid ?? false,
  };
}
