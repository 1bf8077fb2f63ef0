import { DriveError, failureLevel } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { errnoFor } from './errno.js';

export type Cb = (err: number, ...rest: unknown[]) => void;

export interface HandlerContext {
  log: Logger;
  /** A fatal error (credentials refused): the mount must stop. */
  onFatal: (e: DriveError) => void;
}

/**
 * Run one FUSE operation: answer exactly once, with values on success or a negative errno,
 * and one log line per failure at the level the error carries (see failureLevel).
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
  const level = failureLevel(e);
  if (level !== 'silent') ctx.log[level]({ op, path, errno: code }, e instanceof Error ? e.message : String(e));
  return errnoFor(e);
}
