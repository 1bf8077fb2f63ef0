import { randomUUID } from 'node:crypto';

/**
 * The headers the legacy API expects besides authorization and the device's own pair, as the
 * mobile app sends them. Origin and referer stay these even when `apiUrl` points elsewhere.
 */
export const LEGACY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json',
  'x-canary': 'client=Android,app=adrive,version=v4.1.0',
  origin: 'https://www.alipan.com',
  referer: 'https://alipan.com/',
});

/** The download host refuses legacy links fetched without this Referer. */
export const DOWNLOAD_REFERER = 'https://www.alipan.com/';

/** Every call's own request id. */
export function requestIdHeader(): Record<string, string> {
  return { 'x-request-id': randomUUID() };
}
