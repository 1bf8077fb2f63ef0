import type { HttpClient } from '../../http/client.js';
import { HttpError } from '../../http/http-error.js';
import type { CredentialStore } from '../../config/credential-store.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
}

/** Refresh this long before the access token runs out, so requests never carry a dying token. */
const EARLY_REFRESH_MS = 5 * 60_000;

/**
 * Access tokens for one remote. Refreshes proactively from `expires_in`, single-flights
 * concurrent refreshes, and persists each rotated refresh token before using the new access token.
 */
export class TokenSource {
  private accessToken?: string;
  private expiresAt = 0;
  private lifetimeMs = 0;
  private inflight?: Promise<string>;

  constructor(
    private readonly http: HttpClient,
    private readonly opts: { tokenUrl: string; clientId: string; clientSecret?: string; remote: string; store: CredentialStore; log: Logger },
  ) {}

  async get(): Promise<string> {
    // Short-lived tokens (tests, some tenants) are refreshed in their last quarter instead.
    const margin = Math.min(EARLY_REFRESH_MS, this.lifetimeMs / 4);
    if (this.accessToken && Date.now() < this.expiresAt - margin) return this.accessToken;
    return this.refresh();
  }

  /** Drop the access token (the service called it invalid) and fetch another. */
  invalidate(token: string): void {
    if (this.accessToken === token) {
      this.accessToken = undefined;
      this.expiresAt = 0;
    }
  }

  refresh(): Promise<string> {
    this.inflight ??= this.doRefresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async doRefresh(): Promise<string> {
    const { store, remote, log } = this.opts;
    return store.exclusive(async () => {
      // Re-read: another mount of this remote may have rotated the token since we started.
      const refreshToken = await store.loadRefreshToken();
      if (!refreshToken) throw this.loginAgain('no refresh token is stored');
      const form = new URLSearchParams({
        client_id: this.opts.clientId,
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        redirect_uri: 'http://localhost/',
      });
      if (this.opts.clientSecret) form.set('client_secret', this.opts.clientSecret);
      let answer: TokenAnswer;
      try {
        answer = await this.http.json<TokenAnswer>({
          method: 'POST',
          url: this.opts.tokenUrl,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
          // Refresh tokens are single-use: a retry after a lost answer would spend the rotated
          // one we never saw. Only throttling (429/503, nothing was spent) is retried.
          idempotent: false,
        });
      } catch (e) {
        if (e instanceof HttpError && (e.status === 400 || e.status === 401)) {
          throw this.loginAgain(`the login service refused the refresh token (${e.serviceCode ?? `HTTP ${e.status}`}: ${describeRefusal(e.body)})`);
        }
        throw new DriveError('EIO', `remote "${remote}": token refresh failed: ${(e as Error).message}`, { cause: e });
      }
      if (!answer?.access_token) throw new DriveError('EIO', `remote "${remote}": token answer had no access_token`);
      if (answer.refresh_token && answer.refresh_token !== refreshToken) {
        await store.saveRefreshToken(answer.refresh_token);
      }
      this.accessToken = answer.access_token;
      this.lifetimeMs = Math.max(1, Number(answer.expires_in) || 3600) * 1000;
      this.expiresAt = Date.now() + this.lifetimeMs;
      log.debug({ remote, expiresInSec: answer.expires_in }, 'access token refreshed');
      return answer.access_token;
    });
  }

  private loginAgain(reason: string): DriveError {
    return new DriveError(
      'EACCES',
      `remote "${this.opts.remote}": ${reason}. Log in again to get a new refresh token and store it in the config file ("refreshToken").`,
      { fatal: true },
    );
  }
}

/** The first line of AAD's `error_description` ("AADSTS70000: ..."), which says why. */
function describeRefusal(body: unknown): string {
  const d = (body as { error_description?: unknown })?.error_description;
  return typeof d === 'string' ? d.split(/\r?\n/)[0]!.slice(0, 200) : 'no reason given';
}
