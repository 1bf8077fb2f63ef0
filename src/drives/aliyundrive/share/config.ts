import { RemoteFields } from '../../../config/remote-spec.js';

/** A remote mounting an Aliyundrive share link, read with the user's own legacy (mobile-app) token. */
export interface AliyundriveShareConfig {
  type: 'aliyundrive-share';
  /** The id in https://www.alipan.com/s/<shareId>. */
  shareId: string;
  /** The share's extraction code, when it has one. */
  sharePassword?: string;
  /** The user's own legacy refresh token: an Open Platform token cannot read shares. */
  refreshToken: string;
  authUrl: string;
  apiUrl: string;
  /** A folder inside the share (its file_id); "root" is the share's own root. */
  rootFolderId: string;
  /** 'link': the share's download links (refused by the service today); 'copy': read a temporary copy in the user's drive. */
  shareDownload: 'link' | 'copy';
}

const KNOWN = ['type', 'shareId', 'sharePassword', 'refreshToken', 'authUrl', 'apiUrl', 'rootFolderId', 'shareDownload'] as const;

export const DEFAULT_AUTH_URL = 'https://auth.alipan.com';
export const DEFAULT_API_URL = 'https://api.alipan.com';

export function parseAliyundriveShareConfig(name: string, remote: Record<string, unknown>): AliyundriveShareConfig {
  const f = new RemoteFields(remote, `remote "${name}"`);
  f.rejectUnknown(KNOWN);
  return {
    type: 'aliyundrive-share',
    shareId: f.requiredString('shareId', 'the id in the share link https://www.alipan.com/s/<shareId>'),
    sharePassword: f.optionalString('sharePassword'),
    refreshToken: f.requiredString('refreshToken', 'your own refresh token of the mobile app (see README "Aliyundrive share links")'),
    authUrl: f.optionalUrl('authUrl') ?? DEFAULT_AUTH_URL,
    apiUrl: f.optionalUrl('apiUrl') ?? DEFAULT_API_URL,
    rootFolderId: f.optionalString('rootFolderId') ?? 'root',
    shareDownload: f.oneOf('shareDownload', ['link', 'copy'] as const, 'link'),
  };
}
