/**
 * When and how long to wait before retrying an HTTP request.
 * Kept free of I/O so it can be tested exactly.
 */

/** Statuses worth retrying: throttling and transient server trouble (509 is SharePoint's bandwidth limit). */
export const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504, 509]);

/**
 * The server's own wait, in ms, if it gave one: `Retry-After` in seconds or as an HTTP date
 * (RFC 9110), or Aliyundrive's `x-retry-after` in milliseconds. Undefined when absent/unparseable.
 */
export function serverRetryDelayMs(
  headers: Record<string, string | string[] | undefined>,
  now: number = Date.now(),
): number | undefined {
  const xra = first(headers['x-retry-after']);
  if (xra !== undefined && /^\d+$/.test(xra.trim())) return Number(xra.trim());
  const ra = first(headers['retry-after']);
  if (ra === undefined) return undefined;
  const v = ra.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (!Number.isNaN(date)) return Math.max(0, date - now);
  return undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Exponential backoff with full jitter for attempt 1, 2, 3... (used when the server names no wait). */
export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
