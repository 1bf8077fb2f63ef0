import type { Command } from 'commander';
import { shareLogin } from './onedrive-share-login.js';

/** `drivemount login onedrive-share` and its options (the share descriptor names it). */
export function registerShareLogin(login: Command, program: Command): void {
  login
    .command('onedrive-share')
    .description('mount a folder shared by link from OneDrive for work or school / SharePoint (no account needed)')
    .requiredOption('--name <name>', 'name of the remote to create (or to update)')
    .option('--url <url>', 'the share link exactly as received (a secret: "-" reads it from stdin, or set DRIVEMOUNT_URL)')
    .option('--password <password>', 'the link\'s password, if it has one ("-" reads it from stdin)')
    .addHelpText('after', `
Examples:
  drivemount login onedrive-share --name team --url 'https://contoso-my.sharepoint.com/:f:/g/personal/jdoe_contoso_com/EsEg…?e=s6fitN'
  drivemount login onedrive-share --name team --url 'https://…' --password -     # type the password (or pipe it)

Links of personal OneDrive (onedrive.live.com, 1drv.ms) cannot be mounted this way.`)
    .action(async (o) => {
      process.exitCode = await shareLogin({ ...o, config: program.opts().config });
    });
}
