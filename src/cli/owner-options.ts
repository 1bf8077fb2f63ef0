import { ConfigError } from '../util/errors.js';

/** Owner, group and umask every entry of the mount shows (see toStat). */
export interface ShownOwner {
  uid: number;
  gid: number;
  umask: number;
}

/**
 * `--uid`, `--gid` and `--umask` with rclone's meanings: ids in decimal, the umask in octal
 * (`022`, `0027`). Defaults: the mounting user's ids and the process umask.
 */
export function shownOwner(o: { uid?: string; gid?: string; umask?: string }): ShownOwner {
  return {
    uid: o.uid === undefined ? (process.getuid?.() ?? 0) : id(o.uid, '--uid'),
    gid: o.gid === undefined ? (process.getgid?.() ?? 0) : id(o.gid, '--gid'),
    umask: o.umask === undefined ? processUmask() : umask(o.umask),
  };
}

function id(v: string, flag: string): number {
  if (!/^\d+$/.test(v) || Number(v) > 0xfffffffe) throw new ConfigError(`${flag} takes a numeric id, got "${v}"`);
  return Number(v);
}

function umask(v: string): number {
  if (!/^[0-7]{1,4}$/.test(v) || parseInt(v, 8) > 0o777) throw new ConfigError(`--umask takes octal permission bits such as 022, got "${v}"`);
  return parseInt(v, 8);
}

/** process.umask() without an argument reads it (documentation-deprecated, no warning in Node 20). */
function processUmask(): number {
  return process.umask();
}
