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

/** How often a rotated refresh token the store refused is offered to it again. */
const SAVE_RETRY_MS = 60_000;

/** A rotated refresh token held in memory because the store could not take it (disk full, read-only). */
interface UnsavedToken {
  token: string;
  /** What the store still holds (spent): if the store changes from this, someone logged in again. */
  stored: string | undefined;
}

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
  private unsaved?: UnsavedToken;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly exchange: (refreshToken: string) => Promise<TokenGrant>,
    private readonly opts: { remote: string; store: CredentialStore<RefreshTokenCredential>; log: Logger; saveRetryMs?: number },
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
      const stored = await this.loadStored();
      // The store holds a spent token while a rotated one waits in memory to be saved.
      if (this.unsaved && stored !== this.unsaved.stored) this.dropUnsaved(); // logged in again meanwhile
      const refreshToken = this.unsaved?.token ?? stored;
      if (!refreshToken) throw this.loginAgain('no refresh token is stored');
      let grant: TokenGrant;
      try {
        grant = await this.exchange(refreshToken);
      } catch (e) {
        if (e instanceof RefreshRefused) throw this.loginAgain(`the login service refused the refresh token (${e.message})`);
        if (e instanceof DriveError) throw e;
        throw new DriveError('EIO', `remote "${remote}": token refresh failed: ${(e as Error).message}`, { cause: e });
      }
      if (grant.refreshToken && grant.refreshToken !== refreshToken) await this.keep(grant.refreshToken, stored);
      this.accessToken = grant.accessToken;
      this.lifetimeMs = Math.max(1, grant.expiresInSec || 3600) * 1000;
      this.expiresAt = Date.now() + this.lifetimeMs;
      log.debug({ remote, expiresInSec: grant.expiresInSec }, 'access token refreshed');
      return grant.accessToken;
    });
  }

  /** The stored refresh token; when the store cannot even be read, the one in memory will do. */
  private async loadStored(): Promise<string | undefined> {
    try {
      return (await this.opts.store.load())?.refreshToken;
    } catch (e) {
      if (this.unsaved) return this.unsaved.stored;
      throw e;
    }
  }

  /**
   * Save a rotated refresh token. The old one is spent, so a failed save must not lose the new
   * one: it stays in memory (used by the next refresh) and is offered to the store again on a
   * timer. The mount goes on; one line says where the problem is.
   */
  private async keep(token: string, stored: string | undefined): Promise<void> {
    try {
      await this.opts.store.save({ refreshToken: token });
      if (this.unsaved) this.opts.log.info({ remote: this.opts.remote }, `remote "${this.opts.remote}": the rotated refresh token is saved now`);
      this.dropUnsaved();
    } catch (e) {
      const first = !this.unsaved;
      this.unsaved = { token, stored };
      if (first) {
        const retrySec = Math.round((this.opts.saveRetryMs ?? SAVE_RETRY_MS) / 1000);
        this.opts.log.error(
          { remote: this.opts.remote, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message },
          `remote "${this.opts.remote}": the new refresh token could not be saved to ${this.opts.store.where ?? 'its store'} ` +
            `(${(e as Error).message}); it is kept in memory and saved again at the next refresh or within ${retrySec} s. ` +
            'Free space or make the folder writable; if the mount stops before that, log in again',
        );
        this.startRetry();
      }
    }
  }

  private startRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setInterval(() => void this.retrySave(), this.opts.saveRetryMs ?? SAVE_RETRY_MS);
    this.retryTimer.unref(); // a pending save never keeps a finished process alive
  }

  private async retrySave(): Promise<void> {
    const { store } = this.opts;
    try {
      await store.exclusive(async () => {
        const pending = this.unsaved;
        if (!pending) return;
        if ((await store.load())?.refreshToken !== pending.stored) return this.dropUnsaved(); // replaced by a new login
        await this.keep(pending.token, pending.stored);
      });
    } catch {
      /* still failing: keep() said so once; the timer tries again */
    }
  }

  private dropUnsaved(): void {
    this.unsaved = undefined;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** The mount is closing: one last save of a rotated token still in memory, and one line if it is lost. */
  async close(): Promise<void> {
    if (this.unsaved) await this.retrySave();
    if (this.stop()) {
      this.opts.log.error(
        { remote: this.opts.remote },
        `remote "${this.opts.remote}": the rotated refresh token was never saved to ${this.opts.store.where ?? 'its store'} and is lost with this process; log in again before the next mount`,
      );
    }
  }

  /** Stop retrying (the mount is closing); true when a rotated token is still unsaved. */
  stop(): boolean {
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    return this.unsaved !== undefined;
  }

  private loginAgain(reason: string): DriveError {
    return new DriveError(
      'EACCES',
      `remote "${this.opts.remote}": ${reason}. Log in again to get a new refresh token and store it in the config file ("refreshToken").`,
      { fatal: true },
    );
  }
}
