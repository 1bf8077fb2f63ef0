import { RemoteFields } from '../../../config/remote-spec.js';
import { ConfigError } from '../../../util/errors.js';

export interface AliyundriveConfig {
  type: 'aliyundrive-open';
  refreshToken: string;
  /** Own app: refresh directly at `${apiUrl}/oauth/access_token`. */
  clientId?: string;
  clientSecret?: string;
  /** No own app: a hosted "online renew API" refreshes for us (seed 004). */
  renewApiUrl?: string;
  apiUrl: string;
  rootFolderId: string;
  driveType: 'default' | 'resource' | 'backup';
  removeWay: 'trash' | 'delete';
  rapidUpload: boolean;
  livpFormat: 'jpeg' | 'mov';
  /** Accepted (and type-checked) for compatibility with other tools' configs, never read: the provider's intranet upload endpoint only answers inside its own cloud. */
  internalUpload: boolean;
  maxConcurrentDownloads: number;
}

const KNOWN = [
  'type', 'refreshToken', 'clientId', 'clientSecret', 'renewApiUrl', 'apiUrl', 'rootFolderId', 'driveType',
  'removeWay', 'rapidUpload', 'livpFormat', 'internalUpload', 'maxConcurrentDownloads',
] as const;

export function parseAliyundriveConfig(name: string, remote: Record<string, unknown>): AliyundriveConfig {
  const where = `remote "${name}"`;
  const f = new RemoteFields(remote, where);
  f.rejectUnknown(KNOWN);
  const clientId = f.optionalString('clientId');
  const clientSecret = f.optionalString('clientSecret');
  const renewApiUrl = f.optionalUrl('renewApiUrl');
  if (!!clientId !== !!clientSecret) throw new ConfigError(`${where}: set both "clientId" and "clientSecret" (your own app), or neither`);
  if (!clientId && !renewApiUrl) {
    throw new ConfigError(`${where}: set "clientId" and "clientSecret" (your own app) or "renewApiUrl" (an online renew API) — one of the two refreshes the token`);
  }
  if (clientId && renewApiUrl) throw new ConfigError(`${where}: set either "clientId"/"clientSecret" or "renewApiUrl", not both`);
  return {
    type: 'aliyundrive-open',
    refreshToken: f.requiredString('refreshToken', 'authorise drivemount with the Aliyundrive app (see README "Aliyundrive")'),
    clientId,
    clientSecret,
    renewApiUrl,
    apiUrl: f.optionalUrl('apiUrl') ?? 'https://openapi.alipan.com',
    rootFolderId: f.optionalString('rootFolderId') ?? 'root',
    driveType: f.oneOf('driveType', ['default', 'resource', 'backup'] as const, 'default'),
    removeWay: f.oneOf('removeWay', ['trash', 'delete'] as const, 'trash'),
    rapidUpload: optionalBool(remote, 'rapidUpload', where, false),
    livpFormat: f.oneOf('livpFormat', ['jpeg', 'mov'] as const, 'jpeg'),
    internalUpload: optionalBool(remote, 'internalUpload', where, false),
    maxConcurrentDownloads: optionalCount(remote, 'maxConcurrentDownloads', where, 3),
  };
}

function optionalBool(r: Record<string, unknown>, key: string, where: string, fallback: boolean): boolean {
  const v = r[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: "${key}" must be true or false`);
  return v;
}

function optionalCount(r: Record<string, unknown>, key: string, where: string, fallback: number): number {
  const v = r[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 64) throw new ConfigError(`${where}: "${key}" must be a whole number from 1 to 64`);
  return v;
}
