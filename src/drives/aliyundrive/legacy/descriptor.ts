import { refreshTokenCodec } from '../../../config/credential.js';
import { registerLegacyLogin } from '../../../cli/login/aliyundrive-legacy-command.js';
import { defineDriver } from '../../descriptor.js';
import { LEGACY_API_URL, LEGACY_AUTH_URL, parseLegacyConfig } from './config.js';
import { LegacyDrive } from './legacy-drive.js';

export const aliyundriveLegacyDescriptor = defineDriver({
  type: 'aliyundrive',
  description: 'Aliyundrive (alipan), through the mobile app\'s legacy API (discouraged by the provider; prefer aliyundrive-open)',
  settings: [
    { key: 'refreshToken', kind: 'string', secret: true, help: 'mobile-app refresh token (rotates; saved back atomically, 0600)' },
    { key: 'authUrl', kind: 'string', default: LEGACY_AUTH_URL, help: 'token host; the driver appends /v2/account/token' },
    { key: 'apiUrl', kind: 'string', default: LEGACY_API_URL, help: 'API host; the driver appends the API paths' },
    { key: 'driveType', kind: 'string', default: 'default', help: 'default, resource or backup' },
    { key: 'rootFolderId', kind: 'string', default: 'root', help: 'mount this folder (its file_id)' },
    { key: 'removeWay', kind: 'string', default: 'trash', help: 'trash only (/v2/recyclebin/trash); "delete" is refused: no permanent-delete call is known for this API' },
    { key: 'rapidUpload', kind: 'boolean', default: false, help: 'try a hash-only upload first' },
  ],
  parse: parseLegacyConfig,
  build: (name, cfg, deps) => new LegacyDrive(name, cfg, deps),
  credential: refreshTokenCodec,
  summary(r) {
    const parts = [`legacy API, ${String(r.driveType ?? 'default')} drive`];
    if (r.rootFolderId && r.rootFolderId !== 'root') parts.push(`folder id ${String(r.rootFolderId)}`);
    return parts.join(', ');
  },
  login: { command: 'aliyundrive-legacy', register: registerLegacyLogin },
  emulator: {
    service: 'aliyundrive-legacy',
    remoteSettings: (info, refreshToken) => ({ type: 'aliyundrive', refreshToken, authUrl: info.url, apiUrl: info.url }),
  },
});
