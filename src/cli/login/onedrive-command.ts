import type { Command } from 'commander';
import { oneDriveLogin } from './onedrive-login.js';

/** `drivemount login onedrive` and its options (the OneDrive descriptor names it). */
export function registerOneDriveLogin(login: Command, program: Command): void {
  login
    .command('onedrive')
    .description('sign in to OneDrive / SharePoint (authorization code with a loopback redirect, a pasted redirect, or a device code)')
    .requiredOption('--name <name>', 'name of the remote to create (or to log in again)')
    .option('--client-id <id>', 'Application (client) ID of your app registration')
    .option('--client-secret <secret>', 'client secret of a web app registration ("-" reads it from stdin; public clients have none)')
    .option('--tenant <tenant>', 'directory (tenant) id or domain instead of "common"')
    .option('--region <region>', 'global, cn (21Vianet), us (GCC High) or de')
    .option('--no-browser', 'no local redirect: paste the address the browser ends on')
    .option('--device-code', 'sign in on another device with a code (for machines without a browser)')
    .option('--port <n>', 'loopback port the browser is redirected to', '53682')
    .option('--drive-id <id>', 'mount this drive instead of your own')
    .option('--site-url <url>', 'mount the document library of this SharePoint site (https://tenant.sharepoint.com/sites/x)')
    .option('--root-path <path>', 'mount this folder of the drive (default /)')
    .option('--auth-url <url>', 'login host override (proxies, the emulator)')
    .option('--graph-url <url>', 'Graph host override (proxies, the emulator)')
    .option('--timeout <seconds>', 'how long to wait for the sign-in', '300')
    .addHelpText('after', `
Examples:
  drivemount login onedrive --name od --client-id 0b1c… --client-secret -     # asks for the secret
  drivemount login onedrive --name team --client-id 0b1c… --site-url https://contoso.sharepoint.com/sites/team
  drivemount login onedrive --name od --client-id 0b1c… --device-code        # on a headless server
  drivemount login onedrive --name od --client-id 0b1c… --no-browser         # paste the redirected address`)
    .action(async (o) => {
      process.exitCode = await oneDriveLogin({ ...o, config: program.opts().config });
    });
}
