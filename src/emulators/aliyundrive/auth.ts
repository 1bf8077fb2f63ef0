// The OAuth part of the emulator: POST /oauth/access_token (JSON body) and
// Bearer checking for the API.
//
// What a client must cope with, reproduced here:
// - refresh tokens are single-use and rotate: a refresh consumes the token
//   presented (even if the caller loses the answer); they live 90 days;
// - tokens are JWTs (three dot-separated parts, `sub` = user id) — some
//   clients check that the new refresh token has the same `sub`;
// - access tokens expire after expires_in (default 7200 s) → 401
//   AccessTokenExpired; an unknown one → 401 AccessTokenInvalid;
// - the user revoking the app ("authorization management") kills every token.
//
// Error codes (the platform's OAuth codes; statuses are the emulator's pick):
//   400 InvalidParameterMissing   a required field is missing / body not a JSON object
//   400 AppNotExists              unknown client_id
//   401 InvalidClientSecret       wrong client_secret
//   400 InvalidGrantType          grant_type not refresh_token / authorization_code
//   400 RefreshTokenInvalid       unknown refresh token, or one already used (rotation)
//   400 RefreshTokenExpired       older than 90 days
//   403 PermissionDenied          the user revoked the app; sign in again
//   400 InvalidCode               authorization code unknown, used or expired
//
// The QR login (qr-sessions.ts) hands out codes from issueAuthorizationCode()
// and asks codeIsLive() to know when its LoginSuccess answer has gone stale.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendJson } from '../common/http.js';
import { AliError, missingParam } from './errors.js';
import { REFRESH_TOKEN_TTL_SEC } from './settings.js';

export interface AuthConfig {
  clientId: string;
  clientSecret: string;
  userId: string;
  /** Read at mint time so fault changes apply to tokens issued afterwards. */
  accessTokenTtlSec: () => number;
}

export interface TokenResponse {
  token_type: 'Bearer';
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

type GrantHandler = (body: Record<string, unknown>) => TokenResponse;

export type BearerCheck = { ok: true; token: string } | { ok: false; error: AliError };

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export class AuthState {
  /** refresh token → expiry (ms) */
  private readonly refreshTokens = new Map<string, number>();
  /** access token → expiry (ms) */
  private readonly accessTokens = new Map<string, number>();
  /** Tokens killed by a revocation (bounded), so their use says PermissionDenied. */
  private readonly revoked = new Set<string>();
  /** authorization code → expiry (ms) */
  private readonly codes = new Map<string, number>();
  /** Other state a revocation must also drop (pending QR logins). */
  private readonly revokeHooks: Array<() => void> = [];
  /**
   * grant_type → handler. The authorization-code / QR flows plug in here; they
   * only need issueAuthorizationCode().
   */
  readonly grants = new Map<string, GrantHandler>([
    ['refresh_token', (b) => this.refreshGrant(b)],
    ['authorization_code', (b) => this.codeGrant(b)],
  ]);

  constructor(private readonly cfg: AuthConfig) {}

  private jwt(kind: 'refresh' | 'access', ttlSec: number, jti = randomBytes(16).toString('hex')): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = { sub: this.cfg.userId, aud: this.cfg.clientId, iss: 'emulator', exp: now + ttlSec, iat: now, jti, kind };
    return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.${randomBytes(32).toString('base64url')}`;
  }

  /** A new valid refresh token (as if the user had just authorised the app). */
  mintRefreshToken(value?: string): string {
    const token = value ?? this.jwt('refresh', REFRESH_TOKEN_TTL_SEC);
    this.refreshTokens.set(token, Date.now() + REFRESH_TOKEN_TTL_SEC * 1000);
    return token;
  }

  /** For the authorization-code / QR flows: a single-use code valid 10 minutes. */
  issueAuthorizationCode(): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, Date.now() + 600_000);
    return code;
  }

  /** Whether `code` can still be exchanged (not used, not expired, not revoked). */
  codeIsLive(code: string): boolean {
    const expiresAt = this.codes.get(code);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  /** Runs `fn` on every revocation. */
  onRevoke(fn: () => void): void {
    this.revokeHooks.push(fn);
  }

  /** The user revoked the app: every refresh token, access token and code stops working. */
  revokeAll(): void {
    for (const t of [...this.refreshTokens.keys(), ...this.accessTokens.keys()]) this.revoked.add(t);
    while (this.revoked.size > 10_000) this.revoked.delete(this.revoked.values().next().value!);
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.codes.clear();
    for (const fn of this.revokeHooks) fn();
  }

  checkBearer(header: string | undefined): BearerCheck {
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    const invalid = (detail: string): BearerCheck => ({
      ok: false,
      error: new AliError(401, 'AccessTokenInvalid', `AccessToken is invalid. ${detail}`),
    });
    if (!m) return invalid('ErrValidation: no bearer token');
    const expiresAt = this.accessTokens.get(m[1]);
    if (expiresAt === undefined) return invalid('ErrValidation');
    if (Date.now() >= expiresAt) {
      return { ok: false, error: new AliError(401, 'AccessTokenExpired', 'AccessToken is expired. ErrValidation.ExpiredToken') };
    }
    return { ok: true, token: m[1] };
  }

  /** Runs the token endpoint logic on a parsed body; throws AliError on failure. */
  token(body: Record<string, unknown>): TokenResponse {
    this.checkClient(body);
    const grantType = str(body.grant_type);
    if (!grantType) throw missingParam('grant_type');
    const grant = this.grants.get(grantType);
    if (!grant) throw new AliError(400, 'InvalidGrantType', `Invalid grant type '${grantType}': only authorization_code and refresh_token are supported.`);
    return grant(body);
  }

  /** client_id / client_secret of a body (token endpoint, QR code request); throws AliError. */
  checkClient(body: Record<string, unknown>): void {
    const clientId = str(body.client_id);
    if (!clientId) throw missingParam('client_id');
    if (clientId !== this.cfg.clientId) throw new AliError(400, 'AppNotExists', 'App not exists.');
    const secret = str(body.client_secret);
    if (!secret) throw missingParam('client_secret');
    if (secret !== this.cfg.clientSecret) throw new AliError(401, 'InvalidClientSecret', 'Invalid client secret.');
  }

  /** Exchanges a refresh token (consuming it). Shared by the token endpoint and the renew API. */
  refreshGrant(body: Record<string, unknown>): TokenResponse {
    const rt = str(body.refresh_token);
    if (!rt) throw missingParam('refresh_token');
    if (this.revoked.has(rt)) throw new AliError(403, 'PermissionDenied', 'The user has revoked the authorization; authorise again.');
    const expiresAt = this.refreshTokens.get(rt);
    // Rotation: the presented token is consumed whether or not the caller
    // manages to store the new one.
    this.refreshTokens.delete(rt);
    if (expiresAt === undefined) throw new AliError(400, 'RefreshTokenInvalid', 'refresh_token is invalid or has been used.');
    if (Date.now() >= expiresAt) throw new AliError(400, 'RefreshTokenExpired', 'refresh_token is expired.');
    return this.issue();
  }

  private codeGrant(body: Record<string, unknown>): TokenResponse {
    const code = str(body.code);
    if (!code) throw missingParam('code');
    const expiresAt = this.codes.get(code);
    this.codes.delete(code); // single use
    if (expiresAt === undefined || Date.now() >= expiresAt) throw new AliError(400, 'InvalidCode', 'The code is invalid or expired.');
    return this.issue();
  }

  private issue(): TokenResponse {
    const ttl = Math.floor(this.cfg.accessTokenTtlSec());
    const now = Date.now();
    // Forget expired access tokens so a long benchmark does not grow the map.
    if (this.accessTokens.size > 1000) {
      for (const [t, exp] of this.accessTokens) if (exp <= now) this.accessTokens.delete(t);
    }
    const access = this.jwt('access', ttl);
    this.accessTokens.set(access, now + ttl * 1000);
    return { token_type: 'Bearer', access_token: access, refresh_token: this.mintRefreshToken(), expires_in: ttl };
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The JSON-object body of a POST to the OAuth host (token, QR code request). */
export async function readOAuthBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (req.method !== 'POST') throw new AliError(405, 'MethodNotAllowed', 'The endpoint only accepts POST.');
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    throw missingParam('client_id'); // not JSON: the fields cannot be read
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw missingParam('client_id');
  return body as Record<string, unknown>;
}

/** POST /oauth/access_token — returns whether tokens were issued. */
export async function handleTokenRequest(auth: AuthState, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const body = await readOAuthBody(req);
  sendJson(res, 200, auth.token(body), { 'Cache-Control': 'no-store' });
  return true;
}
