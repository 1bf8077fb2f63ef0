import { constants } from 'node:os';
import type { ErrnoCode } from '../util/errors.js';
import { DriveError } from '../util/errors.js';

/** FUSE callbacks take negative errno numbers. */
export function errnoOf(code: ErrnoCode): number {
  const n = (constants.errno as Record<string, number>)[code];
  return -(n ?? constants.errno.EIO);
}

export function errnoFor(e: unknown): number {
  return e instanceof DriveError ? errnoOf(e.code) : errnoOf('EIO');
}
