import { ConfigError } from '../util/errors.js';

/**
 * mount(8)'s helper calling convention, as `mount -t fuse.drivemount` and /etc/fstab use it.
 * mount(8) runs `/sbin/mount.fuse.drivemount` if present, else `/sbin/mount.fuse`, which runs the
 * program named by the subtype (`drivemount`, found on /bin/sh's default PATH: mount clears PATH)
 * as `drivemount SOURCE MOUNTPOINT -o OPTIONS`. libmount itself passes
 * `SOURCE MOUNTPOINT [-sfnv] [-N NS] [-o OPTIONS] [-t TYPE]`.
 */
export interface HelperInvocation {
  source: string;
  mountpoint: string;
  /** The -o options, split at commas, in order. */
  options: string[];
  /** -s: ignore options we do not know instead of refusing them. */
  sloppy: boolean;
  /** -f: mount(8) asks the helper to do everything but mount. */
  fake: boolean;
}

export function parseHelperArgs(args: string[]): HelperInvocation {
  const [source, mountpoint, ...rest] = args;
  if (!source || !mountpoint || source.startsWith('-') || mountpoint.startsWith('-')) {
    throw new ConfigError('usage: mount.drivemount REMOTE[:/path] MOUNTPOINT [-o OPTIONS] (as mount(8) runs it)');
  }
  const inv: HelperInvocation = { source, mountpoint, options: [], sloppy: false, fake: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-N') throw new ConfigError('mount.drivemount: -N (another mount namespace) is not supported');
    if (a === '-o' || a === '-t') {
      const v = rest[++i];
      if (v === undefined) throw new ConfigError(`mount.drivemount: ${a} needs a value`);
      if (a === '-o') inv.options.push(...v.split(',').filter((x) => x !== ''));
    } else if (/^-[sfnv]+$/.test(a)) {
      if (a.includes('s')) inv.sloppy = true;
      if (a.includes('f')) inv.fake = true;
    } else {
      throw new ConfigError(`mount.drivemount: unexpected argument "${a}"`);
    }
  }
  return inv;
}

/** -o options that take a value, by their drivemount flag (rclone's style: `_` for `-`). */
const VALUE_OPTIONS = new Set([
  'uid',
  'gid',
  'umask',
  'config',
  'cache_dir',
  'attr_timeout',
  'dir_cache_time',
  'poll_interval',
  'walk_ahead',
  'read_ahead_memory',
  'max_read_ahead',
  'cache_mode',
  'read_cache_size',
  'read_cache_min_free',
  'kernel_read_ahead',
  'chunk_size',
  'log_level',
  'log_file',
  'stats',
]);

const SWITCH_OPTIONS: Record<string, string> = {
  allow_other: '--allow-other',
  ro: '--read-only',
  read_only: '--read-only',
  debug_fuse: '--debug-fuse',
  noexec: '--noexec',
  no_pin_fuse_threads: '--no-pin-fuse-threads',
};

/**
 * Generic options meant for mount(8), systemd or mount.fuse (which adds dev,suid): no meaning
 * for drivemount. libfuse mounts nodev,nosuid whatever they say (dev and suid are not passed
 * on); noexec is (see SWITCH_OPTIONS). default_permissions is always on with allow_other.
 */
const IGNORED = new Set([
  'rw', 'defaults', 'auto', 'noauto', 'user', 'nouser', 'users', 'owner', 'group', 'nofail', '_netdev',
  'dev', 'nodev', 'suid', 'nosuid', 'exec', 'async', 'atime', 'noatime', 'relatime', 'norelatime',
  'strictatime', 'nostrictatime', 'lazytime', 'nolazytime', 'diratime', 'nodiratime', 'silent', 'loud',
  'default_permissions',
]);

/** The `drivemount mount` flags the -o options stand for; refuses unknown ones unless sloppy. */
export function helperFlags(options: string[], sloppy = false): string[] {
  const flags: string[] = [];
  for (const opt of options) {
    const eq = opt.indexOf('=');
    const name = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (IGNORED.has(opt) || name.startsWith('x-') || name === 'comment') continue;
    if (VALUE_OPTIONS.has(name)) {
      if (value === undefined || value === '') throw new ConfigError(`mount option ${name} needs a value (${name}=...)`);
      flags.push(`--${name.replace(/_/g, '-')}`, value);
    } else if (value === undefined && Object.hasOwn(SWITCH_OPTIONS, name)) {
      flags.push(SWITCH_OPTIONS[name]!);
    } else if (!sloppy) {
      throw new ConfigError(
        `unknown mount option "${opt}" (drivemount takes ${[...Object.keys(SWITCH_OPTIONS), ...[...VALUE_OPTIONS].map((v) => v + '=')].join(', ')})`,
      );
    }
  }
  return flags;
}
