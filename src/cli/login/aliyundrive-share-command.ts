import type { Command } from 'commander';
import { aliyundriveShareLogin } from './aliyundrive-share-login.js';

/** `drivemount login aliyundrive-share` and its options (the share descriptor names it). */
export function registerAliyundriveShareLogin(login: Command, program: Command): void {
  login
    .command('aliyundrive-share')
    .description('mount a folder shared by an Aliyundrive (alipan) share link, read-only, with your own mobile-app refresh token')
    .requiredOption('--name <name>', 'name of the remote to create (or to update)')
    .requiredOption('--share-id <id>', 'the id in the share link https://www.alipan.com/s/<id>')
    .option('--share-password <code>', 'the share\'s extraction code, if it has one ("-" reads it from stdin)')
    .option('--refresh-token <token>', 'your own legacy refresh token of the mobile app ("-" reads it from stdin)')
    .option('--share-download <how>', 'link (the service refuses these today) or copy (read via a temporary copy in your drive)')
    .option('--root-folder-id <id>', 'mount this folder of the share (its file_id)')
    .option('--auth-url <url>', 'token host override')
    .option('--api-url <url>', 'API host override')
    .addHelpText('after', `
Examples:
  drivemount login aliyundrive-share --name films --share-id 7JXwKuGzTPb --refresh-token -
  drivemount login aliyundrive-share --name films --share-id 7JXwKuGzTPb --share-password - --refresh-token - --share-download copy

The refresh token is the mobile app's (an Open Platform token cannot read shares): see README
"Aliyundrive share links" for where the app keeps it. The service no longer hands out share
download links; with --share-download copy, reads go through a temporary copy in your own drive.`)
    .action(async (o) => {
      process.exitCode = await aliyundriveShareLogin({ ...o, config: program.opts().config });
    });
}
