import { refreshTokenCodec } from '../../../config/credential.js';
import { registerAliyundriveShareLogin } from '../../../cli/login/aliyundrive-share-command.js';
import { defineDriver } from '../../descriptor.js';
import { DEFAULT_API_URL, DEFAULT_AUTH_URL, parseAliyundriveShareConfig } from './config.js';
import { ShareDrive } from './share-drive.js';

export const aliyundriveShareDescriptor = defineDriver({
  type: 'aliyundrive-share',
  description: 'a folder shared by an Aliyundrive (alipan) share link, read-only, with your own mobile-app token',
  settings: [
    { key: 'shareId', kind: 'string', help: 'the id in https://www.alipan.com/s/<shareId>' },
    { key: 'sharePassword', kind: 'string', secret: true, help: "the share's extraction code, if it has one" },
    { key: 'refreshToken', kind: 'string', secret: true, help: 'your own legacy (mobile-app) refresh token; an Open token cannot read shares' },
    { key: 'authUrl', kind: 'string', default: DEFAULT_AUTH_URL, help: 'token host override (the driver appends /v2/account/token)' },
    { key: 'apiUrl', kind: 'string', default: DEFAULT_API_URL, help: 'API host override' },
    { key: 'rootFolderId', kind: 'string', default: 'root', help: 'a folder inside the share (its file_id)' },
    { key: 'shareDownload', kind: 'string', default: 'link', help: 'link (the service refuses these today: reads fail with EACCES) or copy (read via a temporary copy in your drive)' },
  ],
  parse: parseAliyundriveShareConfig,
  build: (name, cfg, deps) => new ShareDrive(name, cfg, deps),
  credential: refreshTokenCodec,
  summary(r) {
    const parts = [`share ${String(r.shareId ?? '')}`];
    if (r.sharePassword) parts.push('password');
    if (r.rootFolderId && r.rootFolderId !== 'root') parts.push(`folder id ${String(r.rootFolderId)}`);
    if (r.shareDownload === 'copy') parts.push('downloads via copy');
    return parts.join(', ');
  },
  login: { command: 'aliyundrive-share', register: registerAliyundriveShareLogin },
  emulator: {
    service: 'aliyundrive-share',
    // Read-only, and reads cost a copy in the user's drive: the writable shared suites do not fit.
    sharedSuites: false,
    remoteSettings: (info, refreshToken) => ({
      type: 'aliyundrive-share',
      // An emulator started without a share announces none: the remote then names no real share.
      shareId: info.shareId ?? 'none',
      ...(info.sharePassword ? { sharePassword: info.sharePassword } : {}),
      refreshToken,
      authUrl: info.url,
      apiUrl: info.url,
      // Copy is what works against today's service, so shared machinery exercises the honest path.
      shareDownload: 'copy',
    }),
  },
});
