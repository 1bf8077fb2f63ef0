import type { CredentialStore } from '../../../config/credential-store.js';
import type { RefreshTokenCredential } from '../../../config/credential.js';
import type { HttpClient } from '../../../http/client.js';
import type { HttpError } from '../../../http/http-error.js';
import type { Logger } from '../../../util/log.js';
import { withFreshToken } from '../../fresh-token.js';
import type { TokenSource } from '../../token-source.js';
import { isRejectedAccessToken } from '../errors.js';
import type { Pacer, RateClass } from '../pacer.js';
import { DeviceSession, isDeviceSessionRefused, type CreateSessionAnswer } from './device-session.js';
import { LEGACY_HEADERS, requestIdHeader } from './headers.js';

/** Calls that only read may be resent after a network failure; the others may not. */
const READ_ONLY = new Set([
  '/v2/user/get', '/v2/file/list', '/v2/file/get', '/v2/file/get_download_url', '/v2/file/list_uploaded_parts',
  '/v2/file/get_upload_url', '/v2/databox/get_personal_info', '/adrive/v3/file/list',
]);

export const CREATE_SESSION_PATH = '/users/v1/users/device/create_session';

export interface LegacyCallOptions {
  /** false: sent with the bearer only (`/v2/user/get` before any session exists, share-namespace calls). Default true. */
  device?: boolean;
  /** More headers (a share token, another canary). */
  headers?: Record<string, string>;
  /** The HTTP client's retries for this call (a persistent 429 need not be retried 8 times). */
  maxRetries?: number;
  /** false: no Authorization either (share-namespace calls that ride on a share token only). Implies device false. */
  bearer?: boolean;
}

export interface LegacyApiOptions {
  http: HttpClient;
  tokens: TokenSource;
  pacer: Pacer;
  apiUrl: string;
  store: CredentialStore<RefreshTokenCredential>;
  log: Logger;
  remote: string;
}

/**
 * Authorised JSON POSTs to the legacy API, paced like the Open API: bearer, the app's headers,
 * the device session's pair; the access token refreshed and the call replayed once when refused,
 * the device session registered again and the call replayed once when that is refused.
 * `session.start(userId)` (after a `/v2/user/get` with `device: false`) must come first.
 */
export class LegacyApi {
  readonly session: DeviceSession;

  constructor(private readonly o: LegacyApiOptions) {
    this.session = new DeviceSession({
      create: (body, deviceHeaders) => this.send<CreateSessionAnswer>(CREATE_SESSION_PATH, body, 'other', { device: false, headers: deviceHeaders }),
      store: o.store,
      log: o.log,
      remote: o.remote,
    });
  }

  /** `body` may be built from the access token the call will carry (rapid upload's proof needs it). */
  async call<T>(
    path: string,
    body: object | ((accessToken: string) => object | Promise<object>),
    cls: RateClass = 'other',
    opts: LegacyCallOptions = {},
  ): Promise<T> {
    if (opts.device === false || opts.bearer === false) return this.send<T>(path, body, cls, opts);
    const seen = this.session.current;
    try {
      const a = await this.send<T>(path, body, cls, opts);
      this.session.ok();
      return a;
    } catch (e) {
      if (!isDeviceSessionRefused(e)) throw e;
      this.o.log.info({ remote: this.o.remote, path, code: (e as HttpError).serviceCode }, 'the device session was refused; registering it again');
      await this.session.register(seen);
    }
    try {
      const a = await this.send<T>(path, body, cls, opts);
      this.session.ok();
      return a;
    } catch (e) {
      if (isDeviceSessionRefused(e)) this.session.strike();
      throw e;
    }
  }

  private send<T>(path: string, body: object | ((accessToken: string) => object | Promise<object>), cls: RateClass, opts: LegacyCallOptions): Promise<T> {
    if (opts.bearer === false) return this.request<T>(path, body, cls, opts, undefined);
    return withFreshToken(this.o.tokens, isRejectedAccessToken, (token) => this.request<T>(path, body, cls, opts, token));
  }

  private async request<T>(
    path: string,
    body: object | ((accessToken: string) => object | Promise<object>),
    cls: RateClass,
    opts: LegacyCallOptions,
    token: string | undefined,
  ): Promise<T> {
    const device = opts.device === false || opts.bearer === false ? {} : this.session.headers();
    return this.o.http.json<T>({
      method: 'POST',
      url: `${this.o.apiUrl}${path}`,
      headers: {
        ...LEGACY_HEADERS,
        ...requestIdHeader(),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...device,
        ...opts.headers,
      },
      body: JSON.stringify(typeof body === 'function' ? await body(token ?? '') : body),
      idempotent: READ_ONLY.has(path),
      maxRetries: opts.maxRetries,
      // Each attempt (the HTTP client's retries and the replays too) waits its turn at the pacer.
      pace: () => this.o.pacer.take(cls),
    });
  }
}
