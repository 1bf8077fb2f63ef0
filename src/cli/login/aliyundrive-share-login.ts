import { resolveConfigPath } from '../../config/config-file.js';
import { memoryRefreshTokenStore } from '../../config/credential-store.js';
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
 * Prove the refresh token (one refresh: it rotates) and open the share (get_share_token and a
 * first listing), then save the remote with the rotated token. A wrong password, a cancelled,
 * expired or unknown share, and a refused token are ConfigErrors or DriveErrors: a message and
 * a non-zero exit code, nothing saved.
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
    const store = memoryRefreshTokenStore(refreshToken);
    try {
      // Link mode for the check: logging in must not write copies into the user's drive.
      const drive = new ShareDrive(o.name, { ...cfg, shareDownload: 'link' }, { http, store, log: silentLogger });
      try {
        await drive.connect();
        const entries = await drive.list('/');
        const rotated = (await store.load())?.refreshToken;
        if (!rotated) throw new ConfigError('the token answer carried no new refresh token');
        settings.refreshToken = rotated;
        const how = await saveRemote(file, o.name, settings);
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
