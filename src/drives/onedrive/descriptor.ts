import { refreshTokenCodec } from '../../config/credential.js';
import { registerOneDriveLogin } from '../../cli/login/onedrive-command.js';
import { defineDriver } from '../descriptor.js';
import { parseOneDriveConfig } from './config.js';
import { OneDriveDrive } from './onedrive-drive.js';

export const oneDriveDescriptor = defineDriver({
  type: 'onedrive',
  description: 'OneDrive (personal, business) and SharePoint document libraries, through Microsoft Graph',
  settings: [
    { key: 'refreshToken', kind: 'string', secret: true, help: 'rotating refresh token, saved by "drivemount login onedrive"' },
    { key: 'clientId', kind: 'string', help: 'Application (client) ID of your app registration' },
    { key: 'clientSecret', kind: 'string', secret: true, help: 'client secret of a web app registration (public clients have none)' },
    { key: 'region', kind: 'string', default: 'global', help: 'national cloud: global, cn, us or de' },
    { key: 'tenant', kind: 'string', default: 'common', help: 'directory (tenant) id or domain' },
    { key: 'driveId', kind: 'string', help: 'mount this drive instead of your own' },
    { key: 'siteId', kind: 'string', help: "mount this SharePoint site's document library" },
    { key: 'rootPath', kind: 'string', default: '/', help: 'mount this folder of the drive' },
    { key: 'authUrl', kind: 'string', help: "login host override (default: the region's)" },
    { key: 'graphUrl', kind: 'string', help: "Graph host override (default: the region's)" },
  ],
  parse: parseOneDriveConfig,
  build: (name, cfg, deps, options) => new OneDriveDrive(name, cfg, deps, options),
  credential: refreshTokenCodec,
  summary(r) {
    const parts = [r.siteId ? `site ${String(r.siteId)}` : r.driveId ? `drive ${String(r.driveId)}` : 'own drive'];
    if (r.region && r.region !== 'global') parts.push(`region ${String(r.region)}`);
    if (r.rootPath && r.rootPath !== '/') parts.push(`folder ${String(r.rootPath)}`);
    return parts.join(', ');
  },
  login: { command: 'onedrive', register: registerOneDriveLogin },
  emulator: {
    service: 'onedrive',
    remoteSettings: (info, refreshToken) => ({
      type: 'onedrive', refreshToken, clientId: info.clientId, clientSecret: info.clientSecret, authUrl: info.url, graphUrl: info.url,
    }),
  },
});
