import { ConfigError } from '../util/errors.js';

/** A command-line number of seconds, 0 allowed. */
export function seconds(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${flag} takes a number of seconds, got "${v}"`);
  return n;
}

export function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} takes a positive number, got "${v}"`);
  return n;
}
