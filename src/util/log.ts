import { pino, type Logger, type LevelWithSilent } from 'pino';

import { secretSettingKeys } from '../drives/registry.js';

export type { Logger };

/**
 * Keys whose values are credentials. pino censors them wherever they appear in a logged object,
 * so a careless `log.debug({ body })` cannot leak a token: the wire names below, plus every
 * setting a driver descriptor flags secret (read when a logger is made, so each driver's own
 * credential keys are covered without being listed here).
 */
const WIRE_SECRET_KEYS = [
  'refresh_token', 'accessToken', 'access_token', 'client_secret',
  'authorization', 'Authorization', 'password', 'code', 'downloadUrl', 'uploadUrl',
];

export function redactPaths(): string[] {
  const keys = new Set([...WIRE_SECRET_KEYS, ...secretSettingKeys()]);
  return [...keys].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
}

export interface LogOptions {
  level?: LevelWithSilent;
  /** File descriptor or path; default stderr so stdout stays free for command output. */
  destination?: number | string;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const dest = pino.destination({ dest: opts.destination ?? 2, sync: true, mkdir: true });
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      redact: { paths: redactPaths(), censor: '[redacted]' },
    },
    dest,
  );
}

/** A logger that drops everything: for library use and unit tests. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Pre-authenticated URLs (download links, upload sessions) carry their credential in
 * the path or query. Only the origin is ever safe to print.
 */
export function describeUrl(url: string, preauthenticated: boolean): string {
  try {
    const u = new URL(url);
    return preauthenticated ? `${u.origin}/…` : `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
