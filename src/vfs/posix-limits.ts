import { DriveError } from '../util/errors.js';

/** The longest name, in bytes, that statfs advertises (namemax) and every operation holds to. */
export const NAME_MAX = 255;

/**
 * What the binding makes of a name whose bytes are not valid UTF-8: each bad byte becomes
 * U+FFFD, so `caf\xe9` and `caf\xe8` would arrive as one name.
 */
const REPLACEMENT_CHAR = '\uFFFD';

/** Every part of `path` is at most NAME_MAX bytes, else ENAMETOOLONG before anything is asked or staged. */
export function checkNameLength(path: string): void {
  // "" is how the FUSE layer says "no path": the file was removed together with its folder while
  // open (vfs.ts, pathlessHandles). Only its handle can reach it; by path it does not exist.
  if (path === '') throw new DriveError('ENOENT', 'the file has no path any more (removed while open)', { level: 'debug' });
  for (const part of path.split('/')) {
    const bytes = Buffer.byteLength(part);
    if (bytes > NAME_MAX) {
      throw new DriveError('ENAMETOOLONG', `${path}: a name has ${bytes} bytes, more than the ${NAME_MAX} a name may have`, { level: 'debug' });
    }
  }
}

/**
 * A name a change would create or overwrite: within NAME_MAX, and valid UTF-8. A name with
 * U+FFFD may stand for any of many byte strings, so creating, replacing or writing it could
 * merge two files the program sees as different: EINVAL.
 */
export function checkNewName(path: string): void {
  checkNameLength(path);
  if (path.includes(REPLACEMENT_CHAR)) {
    throw new DriveError('EINVAL', `${path}: the name is not valid UTF-8 (or holds U+FFFD), which the service cannot store as written`);
  }
}

/** A size (after a truncate or write) beyond the service's largest file: EFBIG before the staged copy grows. */
export function checkFileSize(path: string, size: number, maxFileBytes: number | undefined, service: string): void {
  if (maxFileBytes !== undefined && size > maxFileBytes) {
    throw new DriveError('EFBIG', `${path}: ${size} bytes is more than ${service} allows in one file (${maxFileBytes} bytes)`);
  }
}
