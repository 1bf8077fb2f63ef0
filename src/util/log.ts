import { isatty } from 'node:tty';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { LogSink } from './log-sink.js';

import { secretSettingKeys } from '../drives/registry.js';
import { ConfigError } from './errors.js';

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

/** `json`: one JSON object a line (files, journald, machines); `text`: one readable line an event. */
export type LogFormat = 'json' | 'text';
export const LOG_FORMATS = ['auto', 'json', 'text'] as const;

export interface LogOptions {
  level?: LevelWithSilent;
  /** File descriptor or path; default stderr so stdout stays free for command output. */
  destination?: number | string;
  /** `auto` (default): text on a terminal, JSON into a file or a pipe (systemd, a log collector). */
  format?: LogFormat | 'auto' | string;
}

/** Which format a destination gets when none is forced. */
export function chooseLogFormat(format: LogOptions['format'], destination: number | string): LogFormat {
  if (format === 'json' || format === 'text') return format;
  if (format !== undefined && format !== 'auto') throw new ConfigError(`--log-format must be one of ${LOG_FORMATS.join(', ')} (got "${format}")`);
  return typeof destination === 'number' && isatty(destination) ? 'text' : 'json';
}

export function createLogger(opts: LogOptions = {}): Logger {
  const destination = opts.destination ?? 2;
  const format = chooseLogFormat(opts.format, destination);
  const colors = typeof destination === 'number' && isatty(destination) && !process.env.NO_COLOR;
  // pino redacts before serializing, so both formats print what the JSON line holds: no secret.
  const toText = format === 'text'
    ? prettyFactory({ colorize: colors, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,err.stack', errorLikeObjectKeys: [] })
    : undefined;
  const sink = new LogSink(destination, toText);
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      redact: { paths: redactPaths(), censor: '[redacted]' },
    },
    sink,
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
