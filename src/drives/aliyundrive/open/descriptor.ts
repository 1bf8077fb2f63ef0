import { refreshTokenCodec } from '../../../config/credential.js';
import { registerAliyundriveLogin } from '../../../cli/login/aliyundrive-command.js';
import { defineDriver } from '../../descriptor.js';
import { AliyundriveDrive } from './aliyundrive-drive.js';
import { parseAliyundriveConfig } from './config.js';

export const aliyundriveDescriptor = defineDriver({
  type: 'aliyundrive-open',
  description: 'Aliyundrive (alipan), through the Open Platform API',
  settings: [
    { key: 'refreshToken', kind: 'string', secret: true, help: 'rotating refresh token, saved by "drivemount login aliyundrive"' },
    { key: 'clientId', kind: 'string', help: 'your Open Platform app id (with clientSecret; or use renewApiUrl)' },
    { key: 'clientSecret', kind: 'string', secret: true, help: 'your Open Platform app secret' },
    { key: 'renewApiUrl', kind: 'string', help: 'an online renew API that refreshes tokens instead of your own app' },
    { key: 'apiUrl', kind: 'string', default: 'https://openapi.alipan.com', help: 'API host override' },
    { key: 'rootFolderId', kind: 'string', default: 'root', help: 'mount this folder (its file_id)' },
    { key: 'driveType', kind: 'string', default: 'default', help: 'default, resource or backup' },
    { key: 'removeWay', kind: 'string', default: 'trash', help: 'what deleting does: trash or delete' },
    { key: 'rapidUpload', kind: 'boolean', default: false, help: 'try a hash-only upload first' },
    { key: 'livpFormat', kind: 'string', default: 'jpeg', help: 'live photos show as: jpeg or mov' },
    { key: 'internalUpload', kind: 'boolean', default: false, help: 'upload through the intranet address' },
    { key: 'maxConcurrentDownloads', kind: 'number', default: 3, help: 'downloads at once per file, 1 to 64' },
  ],
  parse: parseAliyundriveConfig,
  build: (name, cfg, deps) => new AliyundriveDrive(name, cfg, deps),
  credential: refreshTokenCodec,
  summary(r) {
    const parts = [`${String(r.driveType ?? 'default')} drive`];
    if (r.rootFolderId && r.rootFolderId !== 'root') parts.push(`folder id ${String(r.rootFolderId)}`);
    parts.push(r.renewApiUrl ? 'renew API' : 'own app');
    return parts.join(', ');
  },
  login: { command: 'aliyundrive', register: registerAliyundriveLogin },
  emulator: {
    service: 'aliyundrive',
    remoteSettings: (info, refreshToken) => ({
      type: 'aliyundrive-open', refreshToken, clientId: info.clientId, clientSecret: info.clientSecret, apiUrl: info.url,
    }),
  },
});
