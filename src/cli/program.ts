// The command-line program; src/cli/main.ts (the entry point) loads it.
import { Command } from 'commander';
import { ConfigError, DriveError } from '../util/errors.js';
import { mountCommand } from './mount-command.js';
import { unmountCommand } from './unmount-command.js';
import { emulateCommand } from './emulate-command.js';
import { demoCommand } from './demo-command.js';
import { registerLoginCommands } from './login-command.js';
import { registerConfigCommands } from './config-command.js';
import { registerInspectCommands } from './inspect-commands.js';
import { registerRecoverCommand } from './recover-command.js';
import { registerStatusCommand } from './status-command.js';
import { remoteTypesHelp } from './types-help.js';
import { isNetworkError } from '../http/client.js';
import path from 'node:path';
import { defaultDaemonLog, isDaemonChild, runDetached } from './daemon.js';
import { parseRemoteSpec } from '../config/remote-spec.js';
import { HttpError } from '../http/http-error.js';

// A closed stderr (the reader of a pipe went away) must not crash the process: the log has its
// own fallback, and messages that cannot be shown are lost either way.
process.stderr.on('error', () => undefined);

const program = new Command();
program
  .name('drivemount')
  .description('Mount OneDrive, SharePoint and Aliyundrive as a local folder through FUSE')
  .version('0.1.0')
  .option('--config <file>', 'config file (default $DRIVEMOUNT_CONFIG or $XDG_CONFIG_HOME/drivemount/config.json)');

/**
 * The binding keeps a native handle (its FUSE thread's async hook) referenced after the mount is
 * gone, so a finished mount exits explicitly rather than waiting for an empty event loop.
 */
function exitNow(code: number): never {
  process.exit(code);
}

function withMountOptions(cmd: Command): Command {
  return cmd
    .option('--read-only', 'refuse every change with EROFS')
    .option('--dir-cache-time <seconds>', 'how long folder listings and file attributes are trusted', '300')
    .option('--poll-interval <seconds>', 'how often to ask the service for changes made elsewhere, where it offers a change feed (0 = never)', '60')
    .option('--walk-ahead <listings>', 'folders listed at once ahead of a program walking a tree (find, du, rsync); 0 = off', '8')
    .option('--attr-timeout <seconds>', 'how long the kernel caches attributes', '1')
    .option('--read-ahead-memory <MiB>', 'memory for read-ahead across all open files', '512')
    .option('--max-read-ahead <MiB>', 'largest read-ahead window of one open file', '64')
    .option('--kernel-read-ahead <KiB>', "kernel read-ahead of the mount (needs root)", '16384')
    .option('--cache-dir <dir>', 'where written files are staged before upload (default $XDG_CACHE_HOME/drivemount/REMOTE)')
    .option('--chunk-size <MiB>', 'upload fragment size, a multiple of 0.3125 (320 KiB)', '10')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--log-file <file>', 'log to a file instead of stderr')
    .option('--log-format <format>', 'auto (text on a terminal, JSON into a file or pipe), json or text', 'auto')
    .option('--allow-other', 'let other users in, with the kernel checking the modes shown (non-root needs user_allow_other in /etc/fuse.conf)')
    .option('--uid <id>', 'owner shown for every file and folder (default: the mounting user)')
    .option('--gid <id>', 'group shown for every file and folder (default: the mounting group)')
    .option('--umask <octal>', 'bits removed from the shown modes 0777 (folders) and 0666 (files) (default: the process umask)')
    .option('--debug-fuse', "print libfuse's own debug output")
    .option('--noexec', 'programs on the mount cannot be executed (mount(8)\'s noexec)')
    .option('--no-pin-fuse-threads', "let libfuse's threads and the main thread run on any CPU (by default they share one: every request is handed between them)")
    .option('--no-big-writes', 'use 4 KiB write requests (only to measure the big_writes option)')
    .option('--cache-mode <mode>', 'off, or full: keep read bytes on disk in the cache dir (checked against the service\'s version, so never stale)', 'off')
    .option('--read-cache-size <MiB>', 'largest size of the on-disk read cache', '10240')
    .option('--read-cache-min-free <MiB>', 'free space the read cache leaves on its filesystem', '1024')
    .option('--stats <seconds>', 'log a line of transfer figures every SECONDS (kill -USR1 PID logs one at any time)')
    .option('--write-back [seconds]', 'close() returns once the file is safe on the local disk; the upload starts SECONDS later (default 5) and is retried until it succeeds; fsync() still waits for the service')
    .option('--shutdown-timeout <seconds>', 'how long an unmount waits for write-back uploads before leaving them for the next mount', '60')
    .option('--cache-max-size <MiB>', 'write-back: files waiting for upload may fill this much of the cache dir; past it, close() waits for uploads', '10240');
}

withMountOptions(
  program
    .command('mount')
    .description('mount REMOTE (or REMOTE:/folder) at MOUNTPOINT and stay in the foreground until unmounted')
    .argument('<remote>', 'a remote defined in the config file, optionally with :/sub/folder')
    .argument('<mountpoint>', 'an empty folder')
    .option('--daemon', 'detach from the terminal once mounted, logging to --log-file (default ~/.local/state/drivemount/REMOTE.log)'),
).action(async (remote: string, mountpoint: string, opts) => {
  if (opts.daemon && !isDaemonChild()) {
    const logFile = path.resolve(opts.logFile ?? defaultDaemonLog(parseRemoteSpec(remote).name));
    exitNow(await runDetached({ argv: process.argv.slice(1), logFile }));
  }
  exitNow(await mountCommand(remote, mountpoint, { ...program.opts(), ...opts }));
});

program
  .command('unmount')
  .alias('umount')
  .description('unmount a drivemount mount')
  .argument('<mountpoint>')
  .option('--lazy', 'detach now even if busy; the kernel finishes when the last file closes')
  .option('--force', 'write-back: do not wait for queued uploads (they stay journaled and go up at the next mount)')
  .action(async (mountpoint: string, opts) => {
    await unmountCommand(mountpoint, opts);
  });

program
  .command('emulate')
  .description('run a local emulator of a cloud service (for tests, benchmarks and the demo)')
  .argument('<service>', 'onedrive, aliyundrive, aliyundrive-legacy or onedrive-share')
  .requiredOption('--root <dir>', 'folder whose content the emulated drive serves')
  .option('--port <n>', 'port on 127.0.0.1 (0 = any free port)', '0')
  .option('--host <addr>', 'address to listen on', '127.0.0.1')
  .option('--client-id <id>', 'client id the token endpoint accepts')
  .option('--client-secret <secret>', 'client secret the token endpoint accepts')
  .option('--refresh-token <token>', 'a refresh token valid from the start')
  .option('--link-ttl <seconds>', 'lifetime of download links (default 3600)')
  .option('--token-ttl <seconds>', 'lifetime of access tokens (default 3600)')
  .option('--latency <ms>', 'delay before every answer')
  .option('--bandwidth <bytes/s>', 'download speed per connection')
  .option('--throttle-every <n>', 'answer every Nth API call with 429')
  .option('--retry-after <seconds>', 'Retry-After of those 429s')
  .option('--cut-every <n>', 'cut every Nth download mid-body')
  .option('--fail-fragment-every <n>', 'answer every Nth upload fragment with a 5xx')
  .option('--cut-fragment-every <n>', 'cut the connection of every Nth upload fragment')
  .option('--session-ttl <seconds>', 'lifetime of upload sessions (default 900)')
  .option('--quota <bytes>', 'size of the drive (default 1 TiB)')
  .option('--backup-root <dir>', 'aliyundrive: folder backing the backup drive')
  .option('--part-url-ttl <seconds>', 'aliyundrive: lifetime of upload part URLs (default 900)')
  .option('--fail-part-every <n>', 'aliyundrive: answer every Nth part upload with a 500')
  .option('--cut-part-every <n>', 'aliyundrive: cut every Nth part upload mid-body')
  .option('--no-rate-limits', 'aliyundrive: do not enforce the documented per-second limits')
  .option('--device-session-ttl <seconds>', 'aliyundrive-legacy: lifetime of device sessions (default 86400)')
  .option('--own-root <dir>', "aliyundrive-share: folder backing the caller's own drive (--root is the shared one; default a temp folder)")
  .option('--share-password <code>', "aliyundrive-share: the share's extraction code")
  .option('--share-token-ttl <seconds>', 'aliyundrive-share: lifetime of share tokens (default 7200)')
  .option('--share-downloads <how>', 'aliyundrive-share: refused (as the service answers today, default) or working')
  .option('--password <password>', 'onedrive-share: the share link asks for this password')
  .option('--cookie-ttl <seconds>', 'onedrive-share: lifetime of the FedAuth cookie (default 1800)')
  .option('--page-size <n>', 'onedrive-share: rows per listing page (default 30)')
  .option('--editable', 'onedrive-share: the link grants edit rights (a drive URL and token in the page context)')
  .option('--site <id=dir>', 'also serve DIR as SharePoint site ID (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
  .action(async (service: string, opts) => {
    await emulateCommand(service, opts);
  });

withMountOptions(
  program
    .command('demo')
    .description('mount a demo drive served by the local OneDrive emulator (Ctrl-C to stop)')
    .argument('[mountpoint]', 'where to mount', 'mnt')
    .option('--data <dir>', 'where the demo content and config live', '.demo')
    .option('--big-file-mib <n>', 'size of the large sample file', '256'),
).action(async (mountpoint: string, opts) => {
  exitNow(await demoCommand(mountpoint, { ...program.opts(), ...opts }));
});

registerLoginCommands(program);
registerConfigCommands(program);
registerRecoverCommand(program);
registerStatusCommand(program);
registerInspectCommands(program);
program.addHelpText('after', remoteTypesHelp());

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof DriveError || e instanceof HttpError) {
    process.stderr.write(`drivemount: ${e.message}\n`);
    process.exitCode = e instanceof ConfigError ? 2 : 1;
  } else if (isNetworkError(e)) {
    const err = e as Error & { code?: string; address?: string; port?: number };
    process.stderr.write(`drivemount: cannot reach the service: ${err.message}${err.code && !err.message.includes(err.code) ? ` (${err.code})` : ''}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`drivemount: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
});
