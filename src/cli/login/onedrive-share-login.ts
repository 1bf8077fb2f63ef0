import { resolveConfigPath } from '../../config/config-file.js';
import { MemoryCredentialStore } from '../../config/credential-store.js';
import { parseShareConfig } from '../../drives/onedrive-share/config.js';
import { ShareDrive } from '../../drives/onedrive-share/share-drive.js';
import { HttpClient } from '../../http/client.js';
import { ConfigError } from '../../util/errors.js';
import { silentLogger } from '../../util/log.js';
import { Prompter } from '../prompter.js';
import { previousSettings, saveRemote } from './save-remote.js';

export interface ShareLoginOptions {
  config?: string;
  name: string;
  url?: string;
  password?: string;
}

/**
 * Check a share link (its cookie and a first listing) and save it as a remote. A consumer link,
 * a wrong or missing password and a revoked link are ConfigErrors: a message and exit code 2.
 */
export async function shareLogin(o: ShareLoginOptions, term = new Prompter()): Promise<number> {
  const file = resolveConfigPath(o.config);
  try {
    if (!o.url) throw new ConfigError('give the share link: --url - (then type or pipe it), or DRIVEMOUNT_URL');
    await previousSettings(file, o.name, 'onedrive-share');
    let password = o.password;
    if (password === '-') {
      const line = await term.line('Password of the share link: ');
      if (line === undefined) throw new ConfigError('input ended before a password was given');
      password = line.replace(/\r?\n$/, '');
    }
    if (password === '') throw new ConfigError('--password is empty');
    const settings = { type: 'onedrive-share', url: o.url, password };
    const cfg = parseShareConfig(o.name, settings);
    const http = new HttpClient({ maxRetries: 4 });
    try {
      const drive = new ShareDrive(o.name, cfg, { http, store: new MemoryCredentialStore(undefined), log: silentLogger });
      await drive.connect();
      const entries = await drive.list('/');
      const about = await drive.about();
      const how = await saveRemote(file, o.name, settings);
      term.say(`The link opens ${about.driveType} of ${about.account}: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} at its top.`);
      term.say(`Remote "${o.name}" ${how} in ${file}. Mount it with: drivemount mount ${o.name} ~/${o.name}`);
      return 0;
    } finally {
      await http.close();
    }
  } finally {
    term.close();
  }
}
