import { resolveConfigPath } from '../../config/config-file.js';
import type { CredentialStore } from '../../config/credential-store.js';
import { parseAliyundriveShareConfig } from '../../drives/aliyundrive/share/config.js';
import { ShareDrive } from '../../drives/aliyundrive/share/share-drive.js';
import { HttpClient } from '../../http/client.js';
import { ConfigError } from '../../util/errors.js';
import { silentLogger } from '../../util/log.js';
import { Prompter } from '../prompter.js';
import { previousSettings, saveRemote } from './save-remote.js';

export interface AliyundriveShareLoginOptions {
  config?: string;
  name: string;
  shareId: string;
  /** Already read from stdin or the environment by the secret-options hook when "-" was given. */
  sharePassword?: string;
  refreshToken?: string;
  shareDownload?: string;
  rootFolderId?: string;
  authUrl?: string;
  apiUrl?: string;
}

/**
 * Open the share (get_share_token and a first listing: neither spends anything), then prove the
 * refresh token (one refresh: it rotates, single use). The rotated token is saved with the
 * remote the moment it arrives, so a failure after the refresh cannot lose the only live token.
 * A wrong password, a cancelled, expired or unknown share are ConfigErrors: a message, exit
 * code 2, nothing spent and nothing saved.
 */
export async function aliyundriveShareLogin(o: AliyundriveShareLoginOptions, term = new Prompter()): Promise<number> {
  const file = resolveConfigPath(o.config);
  try {
    const previous = await previousSettings(file, o.name, 'aliyundrive-share');
    const refreshToken = o.refreshToken?.trim();
    if (!refreshToken) throw new ConfigError('--refresh-token is required: your own refresh token of the mobile app ("-" reads it from stdin, or set DRIVEMOUNT_REFRESH_TOKEN)');
    const settings: Record<string, unknown> = {
      ...previous,
      type: 'aliyundrive-share',
      shareId: o.shareId,
      sharePassword: o.sharePassword ?? previous.sharePassword,
      refreshToken,
      ...(o.shareDownload ? { shareDownload: o.shareDownload } : {}),
      ...(o.rootFolderId ? { rootFolderId: o.rootFolderId } : {}),
      ...(o.authUrl ? { authUrl: o.authUrl } : {}),
      ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
    };
    const cfg = parseAliyundriveShareConfig(o.name, settings);
    const http = new HttpClient({ maxRetries: 4 });
    let current: { refreshToken: string } | undefined = { refreshToken };
    let saved: 'created' | 'updated' | undefined;
    const store: CredentialStore<{ refreshToken: string }> = {
      exclusive: (fn) => fn(),
      load: async () => current,
      save: async (c) => {
        current = c;
        settings.refreshToken = c.refreshToken;
        saved = await saveRemote(file, o.name, settings);
      },
    };
    try {
      // Link mode for the check: logging in must not write copies into the user's drive.
      const drive = new ShareDrive(o.name, { ...cfg, shareDownload: 'link' }, { http, store, log: silentLogger });
      try {
        try {
          await drive.connect();
        } catch (e) {
          if (saved) term.say(`The refresh token was spent and its successor saved in remote "${o.name}" (${file}); fix the problem and run this again or mount it.`);
          throw e;
        }
        const entries = await drive.list('/');
        if (!saved || current?.refreshToken === refreshToken) throw new ConfigError('the token answer carried no new refresh token');
        const how = saved;
        term.say(`Share ${cfg.shareId} opens: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} at its top.`);
        if (cfg.shareDownload === 'link') {
          term.say('Note: the service refuses share download links today, so reads fail with EACCES; use --share-download copy to read through a temporary copy in your own drive.');
        }
        term.say(`Remote "${o.name}" ${how} in ${file}. Mount it with: drivemount mount ${o.name} ~/${o.name}`);
        return 0;
      } finally {
        await drive.close();
      }
    } finally {
      await http.close();
    }
  } finally {
    term.close();
  }
}
