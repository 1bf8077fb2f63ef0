import type { HttpClient } from '../../../http/client.js';
import type { Logger } from '../../../util/log.js';
import type { AccessTokens } from '../../fresh-token.js';
import type { Pacer } from '../pacer.js';
import { shareRefusal } from './share-errors.js';

/** Renew this long before the share token runs out, or in its last quarter when it lives shorter. */
const EARLY_RENEW_MS = 5 * 60_000;
/** What the service grants when the answer does not say. */
const DEFAULT_TTL_SEC = 7200;

export interface ShareTokenOptions {
  http: HttpClient;
  pacer: Pacer;
  apiUrl: string;
  shareId: string;
  sharePassword?: string;
  log: Logger;
  remote: string;
}

interface ShareTokenAnswer {
  share_token?: string;
  expires_in?: number;
}

/**
 * The share token (`x-share-token`) of one share, from get_share_token: fetched once, renewed
 * before it expires and when the service calls it invalid; concurrent renewals are one call.
 * A refusal of the share itself (password, cancelled, expired, unknown) is a ShareRefused.
 */
export class ShareTokens implements AccessTokens {
  private token?: string;
  private expiresAt = 0;
  private lifetimeMs = 0;
  private inflight?: Promise<string>;
  /** Share tokens fetched, for tests and the log. */
  fetched = 0;

  constructor(private readonly o: ShareTokenOptions) {}

  get(): Promise<string> {
    const margin = Math.min(EARLY_RENEW_MS, this.lifetimeMs / 4);
    if (this.token && Date.now() < this.expiresAt - margin) return Promise.resolve(this.token);
    return this.renew();
  }

  invalidate(token: string): void {
    if (this.token === token) {
      this.token = undefined;
      this.expiresAt = 0;
    }
  }

  private renew(): Promise<string> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetch(): Promise<string> {
    const { http, pacer, apiUrl, shareId, sharePassword, log, remote } = this.o;
    let a: ShareTokenAnswer;
    try {
      a = await http.json<ShareTokenAnswer>({
        method: 'POST',
        url: `${apiUrl}/v2/share_link/get_share_token`,
        headers: { 'content-type': 'application/json' },
        // share_pwd only when the share has one (clients leave it out otherwise).
        body: JSON.stringify(sharePassword ? { share_id: shareId, share_pwd: sharePassword } : { share_id: shareId }),
        idempotent: true,
        pace: () => pacer.take('other'),
      });
    } catch (e) {
      throw shareRefusal(e, remote, shareId) ?? e;
    }
    if (!a?.share_token) throw new Error('get_share_token answered without a share_token');
    const ttlSec = Number(a.expires_in) > 0 ? Number(a.expires_in) : DEFAULT_TTL_SEC;
    this.token = a.share_token;
    this.lifetimeMs = ttlSec * 1000;
    this.expiresAt = Date.now() + this.lifetimeMs;
    this.fetched++;
    log.debug({ remote, shareId, ttlSec }, 'share token fetched');
    return a.share_token;
  }
}
