import { resolveConfigPath } from '../../config/config-file.js';
import { parseLegacyConfig } from '../../drives/aliyundrive/legacy/config.js';
import { LEGACY_WARNING } from '../../drives/aliyundrive/legacy/legacy-drive.js';
import { legacyExchange } from '../../drives/aliyundrive/legacy/tokens.js';
import { LoginRefused } from '../../drives/login-errors.js';
import { RefreshRefused } from '../../drives/token-source.js';
import { HttpClient } from '../../http/client.js';
import { ConfigError } from '../../util/errors.js';
import { Prompter } from '../prompter.js';
import { previousSettings, saveRemote } from './save-remote.js';

export interface LegacyLoginOptions {
  config?: string;
  name: string;
  /** Already read from stdin or the environment when given as "-" (the secret-option hook). */
  refreshToken?: string;
  driveType?: string;
  rootFolderId?: string;
  authUrl?: string;
  apiUrl?: string;
}

/**
 * `drivemount login aliyundrive-legacy`: prove the mobile app's refresh token with one refresh
 * (it rotates, so the old one is spent) and store the rotated one in the remote.
 */
export async function legacyLogin(o: LegacyLoginOptions, term = new Prompter()): Promise<number> {
  const file = resolveConfigPath(o.config);
  try {
    const old = await previousSettings(file, o.name, 'aliyundrive');
    const token = o.refreshToken?.trim();
    if (!token) throw new ConfigError('--refresh-token is missing or empty: pass the mobile app\'s refresh token ("-" reads it from stdin)');
    const settings: Record<string, unknown> = {
      ...old,
      type: 'aliyundrive',
      refreshToken: token,
      authUrl: o.authUrl ?? old.authUrl,
      apiUrl: o.apiUrl ?? old.apiUrl,
      driveType: o.driveType ?? old.driveType,
      rootFolderId: o.rootFolderId ?? old.rootFolderId,
    };
    const cfg = parseLegacyConfig(o.name, settings); // validates before the token is spent
    const http = new HttpClient({ maxRetries: 2 });
    try {
      let rotated: string | undefined;
      try {
        rotated = (await legacyExchange(http, cfg.authUrl)(token)).refreshToken;
      } catch (e) {
        if (e instanceof RefreshRefused) {
          throw new LoginRefused(
            `the legacy API refused this refresh token (${e.message}): it must be the mobile app's token, unused since it was copied ` +
              '(an Aliyundrive Open token does not work here; for those use "drivemount login aliyundrive")',
          );
        }
        throw e;
      }
      if (!rotated) throw new LoginRefused('the refresh answer carries no new refresh token');
      settings.refreshToken = rotated;
      const outcome = await saveRemote(file, o.name, settings);
      term.say(`${outcome === 'created' ? 'Created' : 'Updated'} remote "${o.name}" in ${file} (mode 0600); the token was proven and the rotated one stored.`);
      term.say(`Note: this remote ${LEGACY_WARNING}.`);
      term.say(`Check it:  drivemount about ${o.name}    Mount it:  drivemount mount ${o.name} ~/Aliyundrive`);
      return 0;
    } finally {
      await http.close();
    }
  } finally {
    term.close();
  }
}
