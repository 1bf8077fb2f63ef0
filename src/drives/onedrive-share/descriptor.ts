import type { CredentialCodec } from '../../config/credential.js';
import { registerShareLogin } from '../../cli/login/onedrive-share-command.js';
import { defineDriver } from '../descriptor.js';
import { parseShareConfig } from './config.js';
import { ShareDrive } from './share-drive.js';

/** A share keeps no credential of its own: the link (and its password) open it again each time. */
const noCredential: CredentialCodec<unknown> = { keys: [], read: () => undefined, write: () => ({}) };

export const oneDriveShareDescriptor = defineDriver({
  type: 'onedrive-share',
  description: 'a folder shared by link from OneDrive for work or school / SharePoint (no account needed)',
  settings: [
    { key: 'url', kind: 'string', secret: true, help: 'the share link exactly as received (https://TENANT-my.sharepoint.com/:f:/g/personal/...); whoever holds it can open the share, so it is kept secret' },
    { key: 'password', kind: 'string', secret: true, help: "the link's password, if it has one" },
  ],
  parse: parseShareConfig,
  build: (name, cfg, deps, options) => new ShareDrive(name, cfg, deps, options),
  credential: noCredential,
  summary(r) {
    let where = String(r.url ?? '');
    try {
      where = new URL(where).host;
    } catch {
      /* shown as written */
    }
    return `share link on ${where}${r.password ? ', with password' : ''}`;
  },
  login: { command: 'onedrive-share', register: registerShareLogin },
  emulator: {
    service: 'onedrive-share',
    // A read-only share without refresh tokens: the per-service suites assume both.
    sharedSuites: false,
    remoteSettings: (info) => ({ type: 'onedrive-share', url: info.shareUrl ?? `${info.url}/:f:/g/personal/emulator/share`, ...(info.sharePassword ? { password: info.sharePassword } : {}) }),
  },
});
