import type { Command } from 'commander';
import { legacyLogin } from './aliyundrive-legacy-login.js';

/** `drivemount login aliyundrive-legacy` and its options (the legacy descriptor names it). */
export function registerLegacyLogin(login: Command, program: Command): void {
  login
    .command('aliyundrive-legacy')
    .description('store the Aliyundrive mobile app\'s refresh token (legacy API; discouraged by the provider)')
    .requiredOption('--name <name>', 'name of the remote to create (or to update)')
    .option('--refresh-token <token>', 'the mobile app\'s refresh token ("-" reads it from stdin)')
    .option('--drive-type <type>', 'default, resource or backup')
    .option('--root-folder-id <id>', 'mount this folder (its file_id) instead of the root')
    .option('--auth-url <url>', 'token host override (default https://auth.alipan.com)')
    .option('--api-url <url>', 'API host override (default https://api.alipan.com)')
    .addHelpText('after', `
Examples:
  drivemount login aliyundrive-legacy --name ali --refresh-token -      # paste the token, then Enter

Where the token is: see README "Aliyundrive legacy API". Aliyundrive Open ("drivemount login aliyundrive") is the supported way.`)
    .action(async (o) => {
      process.exitCode = await legacyLogin({ ...o, config: program.opts().config });
    });
}
