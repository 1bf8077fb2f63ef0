import { DriveError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { errnoFor } from './errno.js';

export type Cb = (err: number, ...rest: unknown[]) => void;

/** Errors that are part of normal life (lookups of absent names) and deserve no log line. */
const QUIET = new Set(['ENOENT', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOTEMPTY']);

export interface HandlerContext {
  log: Logger;
  /** A fatal error (credentials refused): the mount must stop. */
  onFatal: (e: DriveError) => void;
}

/**
 * Run one FUSE operation: answer exactly once, with values on success or a negative errno,
 * and one log line for failures a user should hear about.
 */
export function runOp(ctx: HandlerContext, op: string, path: string, cb: Cb, fn: () => Promise<unknown[]>): void {
  fn().then(
    (vals) => cb(0, ...vals),
    (e: unknown) => cb(failure(ctx, op, path, e)),
  );
}

/** read and write answer with one number: bytes, or a negative errno. */
export function runIo(ctx: HandlerContext, op: string, path: string, cb: (n: number) => void, fn: () => Promise<number>): void {
  fn().then(cb, (e: unknown) => cb(failure(ctx, op, path, e)));
}

function failure(ctx: HandlerContext, op: string, path: string, e: unknown): number {
  const code = e instanceof DriveError ? e.code : 'EIO';
  if (e instanceof DriveError && e.fatal) ctx.onFatal(e);
  // Failed uploads are logged where they happen, with the place their data is kept.
  const logged = op === 'flush' || op === 'fsync' || op === 'release';
  if (!QUIET.has(code) && !logged) ctx.log.warn({ op, path, errno: code }, (e as Error).message);
  return errnoFor(e);
}
