// FedAuth cookies the emulator hands out: each valid for cookieTtlSec from its issue, none
// valid once the link is revoked. Nothing else (no Referer, no user agent) is checked.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type CookieVerdict = 'valid' | 'expired' | 'missing';

export class CookieJarServer {
  private readonly issued = new Map<string, number>();

  constructor(private readonly ttlSec: () => number, private readonly revoked: () => boolean) {}

  /** A Set-Cookie header value for a new session cookie. */
  issue(): string {
    const value = randomBytes(24).toString('base64url');
    this.issued.set(value, Date.now());
    return `FedAuth=${value}; path=/; SameSite=None; HttpOnly`;
  }

  check(req: IncomingMessage): CookieVerdict {
    const header = req.headers.cookie ?? '';
    const value = /(?:^|;\s*)FedAuth=([^;]*)/.exec(header)?.[1];
    if (!value) return 'missing';
    const at = this.issued.get(value);
    if (at === undefined) return 'missing';
    if (this.revoked() || Date.now() - at >= this.ttlSec() * 1000) return 'expired';
    return 'valid';
  }
}
