import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ConfigError } from '../util/errors.js';
import { parseRemoteSpec } from '../config/remote-spec.js';
import { defaultDaemonLog, runDetached } from './daemon.js';
import { helperFlags, parseHelperArgs } from './mount-helper.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** mount(8) clears PATH; fusermount and the like must still be found. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Run as mount(8)'s helper: map the -o options to `drivemount mount` flags and mount in the
 * background, returning once the mount is up (mount(8) and systemd wait for the helper to exit).
 */
export async function runMountHelper(args: string[]): Promise<number> {
  const inv = parseHelperArgs(args);
  const flags = helperFlags(inv.options, inv.sloppy);
  if (inv.fake) return 0;
  if (!process.env.PATH) process.env.PATH = DEFAULT_PATH;
  const mountArgs = [MAIN, 'mount', inv.source, path.resolve(inv.mountpoint), ...flags];
  const i = flags.indexOf('--log-file');
  const logFile = path.resolve(i >= 0 ? flags[i + 1]! : defaultDaemonLog(parseRemoteSpec(inv.source).name));
  return runDetached({ argv: mountArgs, logFile });
}

/** Entry point of bin/mount.drivemount (and of `drivemount SOURCE MOUNTPOINT -o ...`). */
export function mountHelperMain(args: string[]): void {
  runMountHelper(args).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`mount.drivemount: ${(e as Error).message}\n`);
      process.exit(e instanceof ConfigError ? 2 : 1);
    },
  );
}
