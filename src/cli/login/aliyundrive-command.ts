import type { Command } from 'commander';
import { aliyundriveLogin } from './aliyundrive-login.js';

/** `drivemount login aliyundrive` and its options (the Aliyundrive descriptor names it). */
export function registerAliyundriveLogin(login: Command, program: Command): void {
  login
    .command('aliyundrive')
    .description('authorise an Aliyundrive (alipan) Open Platform app by QR code, or store a refresh token')
    .requiredOption('--name <name>', 'name of the remote to create (or to log in again)')
    .option('--client-id <id>', 'your Open Platform app id (needed for the QR login)')
    .option('--client-secret <secret>', 'your Open Platform app secret ("-" reads it from stdin)')
    .option('--refresh-token <token>', 'use this refresh token instead of the QR login ("-" reads it from stdin)')
    .option('--renew-api-url <url>', 'refresh tokens through this online renew API instead of your own app')
    .option('--drive-type <type>', 'default, resource or backup')
    .option('--root-folder-id <id>', 'mount this folder (its file_id) instead of the root')
    .option('--api-url <url>', 'API host override (proxies, the emulator)')
    .option('--timeout <seconds>', 'how long to wait for the QR code to be confirmed', '300')
    .option('--poll-interval <ms>', 'how often the QR status is asked', '2000')
    .addHelpText('after', `
Examples:
  drivemount login aliyundrive --name ali --client-id abc… --client-secret …     # QR code in the terminal
  drivemount login aliyundrive --name ali --renew-api-url https://api.example/alicloud/renewapi --refresh-token -`)
    .action(async (o) => {
      process.exitCode = await aliyundriveLogin({ ...o, config: program.opts().config });
    });
}
