import type { CredentialStore } from '../config/credential-store.js';
import type { RefreshTokenCredential } from '../config/credential.js';
import { DriveError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/** What a service's token endpoint gave for one refresh token. */
export interface TokenGrant {
  accessToken: string;
  /** The rotated refresh token (services with single-use tokens always send one). */
  refreshToken?: string;
  expiresInSec: number;
}

/** Thrown by an exchange when the service refused the refresh token itself: the user must log in again. */
export class RefreshRefused extends Error {}

/** Refresh this long before the access token runs out, so requests never carry a dying token. */
const EARLY_REFRESH_MS = 5 * 60_000;

/**
 * Access tokens for one remote, whatever the service. Refreshes proactively, single-flights
 * concurrent refreshes, re-reads the stored refresh token first (another mount of the remote may
 * have rotated it) and saves each rotated one before using the new access token.
 */
export class TokenSource {
  private accessToken?: string;
  private expiresAt = 0;
  private lifetimeMs = 0;
  private inflight?: Promise<string>;

  constructor(
    private readonly exchange: (refreshToken: string) => Promise<TokenGrant>,
    private readonly opts: { remote: string; store: CredentialStore<RefreshTokenCredential>; log: Logger },
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
      const refreshToken = (await store.load())?.refreshToken;
      if (!refreshToken) throw this.loginAgain('no refresh token is stored');
      let grant: TokenGrant;
      try {
        grant = await this.exchange(refreshToken);
      } catch (e) {
        if (e instanceof RefreshRefused) throw this.loginAgain(`the login service refused the refresh token (${e.message})`);
        if (e instanceof DriveError) throw e;
        throw new DriveError('EIO', `remote "${remote}": token refresh failed: ${(e as Error).message}`, { cause: e });
      }
      if (grant.refreshToken && grant.refreshToken !== refreshToken) await store.save({ refreshToken: grant.refreshToken });
      this.accessToken = grant.accessToken;
      this.lifetimeMs = Math.max(1, grant.expiresInSec || 3600) * 1000;
      this.expiresAt = Date.now() + this.lifetimeMs;
      log.debug({ remote, expiresInSec: grant.expiresInSec }, 'access token refreshed');
      return grant.accessToken;
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
