import os from 'node:os';
import type { CredentialStore } from '../../../config/credential-store.js';
import type { RefreshTokenCredential } from '../../../config/credential.js';
import { HttpError } from '../../../http/http-error.js';
import { DriveError } from '../../../util/errors.js';
import type { Logger } from '../../../util/log.js';
import { deviceKey, type DeviceKey } from './device-key.js';

/** Registrations refused in a row before the mount gives up (the mobile app's clients try 3 times). */
export const MAX_REGISTRATIONS = 3;

/** What create_session answers; `result: false` means the account has too many devices signed in. */
export interface CreateSessionAnswer {
  result?: boolean;
  success?: boolean;
  code?: string | null;
  message?: string | null;
}

/**
 * Sends create_session with the device headers given (LegacyApi does that: bearer, pacing, token
 * replay). The body is built once the access token is in hand: a refresh on the way rotates the
 * refresh token the body must carry.
 */
export type CreateSessionCall = (body: () => Promise<object>, deviceHeaders: Record<string, string>) => Promise<CreateSessionAnswer>;

export interface DeviceSessionOptions {
  create: CreateSessionCall;
  store: CredentialStore<RefreshTokenCredential>;
  log: Logger;
  remote: string;
}

/** The service no longer accepts this device's session: register it again and replay the call. */
export function isDeviceSessionRefused(e: unknown): boolean {
  if (!(e instanceof HttpError)) return false;
  if (e.serviceCode === 'DeviceSessionSignatureInvalid') return true;
  if (e.status === 401 && e.serviceCode === 'UserDeviceOffline') return true;
  const message = (e.body as { message?: unknown } | undefined)?.message;
  return e.status === 400 && typeof message === 'string' && /not found device info/i.test(message);
}

/**
 * The device session every legacy call rides on: the key is derived from the user id, the
 * session is registered at connect and again whenever the service refuses it. Registrations are
 * single-flight (many calls refused at once make one), and after MAX_REGISTRATIONS refused in a
 * row the mount stops instead of looping.
 */
export class DeviceSession {
  private key?: DeviceKey;
  private inflight?: Promise<void>;
  /** Bumped by each registration, so calls refused under an older session do not register again. */
  private generation = 0;
  private refusedInARow = 0;
  /** Counted for tests and --stats. */
  registrations = 0;

  constructor(private readonly o: DeviceSessionOptions) {}

  /** The user the device belongs to, once start() ran (share copies need it for their own drive). */
  userId?: string;

  /** Derive the device from the user and register it (connect does this once). */
  async start(userId: string): Promise<void> {
    this.userId = userId;
    this.key = deviceKey(userId);
    await this.register(this.generation);
  }

  /** The current generation, to pass to renew() when a call made under it is refused. */
  get current(): number {
    return this.generation;
  }

  /** `x-device-id` and `x-signature`; empty before start(). */
  headers(): Record<string, string> {
    return this.key ? { 'x-device-id': this.key.deviceId, 'x-signature': this.key.signature } : {};
  }

  /** Register again, unless another caller already did since `seen`. */
  register(seen: number): Promise<void> {
    if (seen !== this.generation) return Promise.resolve();
    this.inflight ??= this.doRegister().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async doRegister(): Promise<void> {
    const key = this.key;
    if (!key) throw new Error('device session used before start()');
    for (;;) {
      if (this.refusedInARow >= MAX_REGISTRATIONS) throw this.blocked();
      // create_session does not spend the refresh token, but wants the newest one.
      const body = async () => ({
        deviceName: 'drivemount', modelName: `${os.type()} ${os.arch()}`, nonce: 0, pubKey: key.pubKey,
        refreshToken: (await this.o.store.load())?.refreshToken ?? '',
      });
      let a: CreateSessionAnswer;
      this.registrations++;
      try {
        a = await this.o.create(body, this.headers());
      } catch (e) {
        if (!isDeviceSessionRefused(e)) throw e;
        this.refusedInARow++;
        this.o.log.debug({ remote: this.o.remote, err: (e as Error).message }, 'device session registration refused');
        continue;
      }
      if (a?.result === false || a?.success === false) {
        throw new DriveError(
          'EACCES',
          `remote "${this.o.remote}": the service refuses a new device session: the account has too many devices signed in; sign some out in the app's device management`,
          { fatal: true },
        );
      }
      this.generation++;
      return;
    }
  }

  /**
   * A call refused again right after a fresh registration counts as a refusal too: a service
   * that accepts registrations but none of the calls must not make every call register.
   */
  strike(): void {
    this.refusedInARow++;
  }

  /** A call went through on this session: the refusals in a row start again from zero. */
  ok(): void {
    this.refusedInARow = 0;
  }

  private blocked(): DriveError {
    return new DriveError(
      'EACCES',
      `remote "${this.o.remote}": the service refuses this device session (the legacy API may be blocked; consider aliyundrive-open)`,
      { fatal: true },
    );
  }
}
