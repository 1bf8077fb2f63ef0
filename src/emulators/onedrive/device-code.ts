// The device authorization grant (RFC 8628) as AAD runs it, for machines
// without a browser:
//
//   POST /{tenant}/oauth2/v2.0/devicecode  client_id, scope
//     → {device_code, user_code, verification_uri, expires_in, interval, message}
//   the person opens verification_uri (/devicelogin, device-login.ts) and enters user_code;
//   meanwhile the client polls the token endpoint with
//   grant_type=urn:ietf:params:oauth:grant-type:device_code, device_code, client_id.
//
// It is a public-client flow: client_secret may be left out (if given it must
// be right), and tokens obtained without it later refresh without it.

import { randomBytes, randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readForm, sendJson } from '../common/http.js';
import { type AuthState, missing, OAuthError, sendOAuthError, type TokenResponse, unknownClient } from './auth.js';
import type { EmulatorContext } from './context.js';

export const DEVICE_CODE_PATH = /^\/[^/]+\/oauth2\/v2\.0\/devicecode\/?$/i;
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

// AAD's user codes: 9 characters, upper-case letters and digits, without the
// ones people confuse when copying by hand (0/O, 1/I/L).
const USER_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const USER_CODE_LENGTH = 9;
/**
 * A poll this much earlier than the interval still counts as on time: a client
 * that sleeps exactly `interval` between polls can arrive a few ms early by
 * timer and clock granularity, and must not be told to slow down for it.
 */
const POLL_GRACE_MS = 100;
/** Expired codes still answer expired_token for this long, then are forgotten (invalid_grant). */
const FORGET_AFTER_MS = 3600_000;

export interface DeviceCodeSettings {
  ttlSec: number;
  intervalSec: number;
}

interface PendingLogin {
  deviceCode: string;
  userCode: string;
  expiresAt: number;
  /** The minimum time between polls; each slow_down adds 5 s (RFC 8628 §3.5). */
  intervalMs: number;
  lastPollAt: number | null;
  state: 'pending' | 'approved' | 'declined';
}

export interface IssuedDeviceCode {
  deviceCode: string;
  userCode: string;
  expiresInSec: number;
  intervalSec: number;
}

/** Folds what a person types into the stored form: case and dashes/spaces do not matter. */
export const normalizeUserCode = (s: string): string => s.replace(/[\s-]+/g, '').toUpperCase();

export class DeviceCodes {
  private byDevice = new Map<string, PendingLogin>();
  private byUser = new Map<string, PendingLogin>();

  constructor(
    private readonly auth: AuthState,
    private readonly settings: () => DeviceCodeSettings,
  ) {
    auth.grants.set(DEVICE_CODE_GRANT, {
      handle: (form, secretGiven) => this.poll(form, secretGiven),
      allowsNoSecret: () => true,
    });
    auth.onRevoke(() => {
      this.byDevice.clear();
      this.byUser.clear();
    });
  }

  issue(): IssuedDeviceCode {
    const now = Date.now();
    this.forgetOld(now);
    const { ttlSec, intervalSec } = this.settings();
    let userCode: string;
    do {
      userCode = Array.from({ length: USER_CODE_LENGTH }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join('');
    } while (this.byUser.has(userCode));
    const login: PendingLogin = {
      deviceCode: 'DAQABIQEAAAD' + randomBytes(96).toString('base64url'),
      userCode,
      expiresAt: now + ttlSec * 1000,
      intervalMs: intervalSec * 1000,
      lastPollAt: null,
      state: 'pending',
    };
    this.byDevice.set(login.deviceCode, login);
    this.byUser.set(userCode, login);
    // Reported as configured: AAD sends whole seconds, fractions only come from fast tests.
    return { deviceCode: login.deviceCode, userCode, expiresInSec: ttlSec, intervalSec };
  }

  /**
   * The person at /devicelogin entered `typed` and approved (or declined).
   * False when no pending, unexpired code matches it — including codes already
   * decided (the simplest answer; AAD just says the code did not work).
   */
  decide(typed: string, approve: boolean): boolean {
    const login = this.byUser.get(normalizeUserCode(typed));
    if (!login || login.state !== 'pending' || Date.now() >= login.expiresAt) return false;
    login.state = approve ? 'approved' : 'declined';
    return true;
  }

  private poll(form: URLSearchParams, secretGiven: boolean): TokenResponse {
    const code = form.get('device_code');
    if (!code) throw missing('device_code');
    const login = this.byDevice.get(code);
    const now = Date.now();
    if (!login) {
      // AAD documents bad_verification_code for this, but answers garbage and
      // used-up codes with invalid_grant; so do we.
      throw new OAuthError(400, 'invalid_grant', 70000, "AADSTS70000: The provided value for the input parameter 'device_code' is not valid.");
    }
    if (now >= login.expiresAt) {
      throw new OAuthError(400, 'expired_token', 70020, "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired.");
    }
    if (login.state === 'approved') {
      this.forget(login); // single use
      return this.auth.issue(!secretGiven);
    }
    if (login.state === 'declined') {
      // AAD documents no AADSTS number for this answer; 70000 is its generic
      // "grant refused". It stays the answer until the code expires.
      throw new OAuthError(400, 'authorization_declined', 70000, 'AADSTS70000: The user has declined the authorization request.');
    }
    // slow_down is a variant of authorization_pending (RFC 8628 §3.5), so it is
    // only answered while pending. The first poll is never too early.
    const early = login.lastPollAt !== null && now - login.lastPollAt < login.intervalMs - POLL_GRACE_MS;
    login.lastPollAt = now;
    if (early) {
      login.intervalMs += 5000;
      // AAD documents no AADSTS number for slow_down; it is the pending answer's variant.
      throw new OAuthError(
        400,
        'slow_down',
        70016,
        `AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Polling too fast: wait at least ${login.intervalMs / 1000} seconds between requests.`,
      );
    }
    throw new OAuthError(400, 'authorization_pending', 70016, 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
  }

  private forget(login: PendingLogin): void {
    this.byDevice.delete(login.deviceCode);
    this.byUser.delete(login.userCode);
  }

  private forgetOld(now: number): void {
    for (const login of this.byDevice.values()) if (now >= login.expiresAt + FORGET_AFTER_MS) this.forget(login);
  }
}

/** POST /{tenant}/oauth2/v2.0/devicecode */
export async function handleDeviceCodeRequest(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.stats.inc('deviceCode');
  try {
    if (req.method !== 'POST') throw new OAuthError(405, 'invalid_request', 900561, 'AADSTS900561: The endpoint only accepts POST requests.');
    const form = await readForm(req);
    const clientId = form.get('client_id');
    if (!clientId) throw missing('client_id');
    if (clientId !== ctx.auth.clientId) throw unknownClient(clientId);
    if (!form.get('scope')) throw missing('scope');
    const dc = ctx.deviceCodes.issue();
    const verificationUri = `${ctx.url}/devicelogin`;
    sendJson(
      res,
      200,
      {
        user_code: dc.userCode,
        device_code: dc.deviceCode,
        verification_uri: verificationUri,
        expires_in: dc.expiresInSec,
        interval: dc.intervalSec,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${dc.userCode} to authenticate.`,
      },
      { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    );
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    sendOAuthError(res, e);
  }
}
