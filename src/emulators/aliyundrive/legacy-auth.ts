// The legacy (mobile app) token host: POST /v2/account/token with JSON
// {refresh_token, grant_type: "refresh_token"} and no client id. Its tokens are
// a kind of their own: the Open API refuses legacy access tokens and the Open
// token endpoint legacy refresh tokens (they live in separate maps), and the
// legacy routes refuse Open access tokens (401 AccessTokenInvalid).
//
// Refresh tokens rotate and are single use (consumed even when the caller loses
// the answer), as on the Open host. Errors (statuses are the emulator's pick):
//   400 InvalidParameterMissing       refresh_token or grant_type missing
//   400 InvalidParameter.GrantType    grant_type is not refresh_token
//   400 InvalidParameter.RefreshToken unknown, used or expired refresh token

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendJson } from '../common/http.js';
import type { BearerCheck } from './auth.js';
import type { AliContext } from './context.js';
import { AliError, missingParam } from './errors.js';
import { REFRESH_TOKEN_TTL_SEC } from './settings.js';

export const LEGACY_TOKEN_PATH = '/v2/account/token';

export class LegacyAuth {
  /** refresh token → expiry (ms) */
  private readonly refreshTokens = new Map<string, number>();
  /** access token → expiry (ms) */
  private readonly accessTokens = new Map<string, number>();

  constructor(private readonly accessTokenTtlSec: () => number) {}

  /** A new valid legacy refresh token (as if read from the phone app's logs). 32 hex, as the app's are. */
  mint(value?: string): string {
    const token = value ?? randomBytes(16).toString('hex');
    this.refreshTokens.set(token, Date.now() + REFRESH_TOKEN_TTL_SEC * 1000);
    return token;
  }

  /** Whether `token` is a refresh token that a refresh would still accept (create_session checks this). */
  isLiveRefreshToken(token: string): boolean {
    const exp = this.refreshTokens.get(token);
    return exp !== undefined && Date.now() < exp;
  }

  /** Exchanges (and consumes) a refresh token. */
  refresh(body: Record<string, unknown>): { access_token: string; refresh_token: string; expires_in: number; token_type: 'Bearer' } {
    const rt = typeof body.refresh_token === 'string' ? body.refresh_token : '';
    if (!rt) throw missingParam('refresh_token');
    const grant = typeof body.grant_type === 'string' ? body.grant_type : '';
    if (!grant) throw missingParam('grant_type');
    if (grant !== 'refresh_token') throw new AliError(400, 'InvalidParameter.GrantType', 'The input parameter grant_type is not valid.');
    const exp = this.refreshTokens.get(rt);
    this.refreshTokens.delete(rt);
    if (exp === undefined || Date.now() >= exp) throw new AliError(400, 'InvalidParameter.RefreshToken', 'The input parameter refresh_token is not valid.');
    const ttl = Math.floor(this.accessTokenTtlSec());
    const now = Date.now();
    if (this.accessTokens.size > 1000) for (const [t, e] of this.accessTokens) if (e <= now) this.accessTokens.delete(t);
    const access = `legacy.${randomBytes(24).toString('base64url')}`;
    this.accessTokens.set(access, now + ttl * 1000);
    return { access_token: access, refresh_token: this.mint(), expires_in: ttl, token_type: 'Bearer' };
  }

  checkBearer(header: string | undefined): BearerCheck {
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return { ok: false, error: new AliError(401, 'AccessTokenInvalid', 'AccessToken is invalid. ErrValidation: no bearer token') };
    const exp = this.accessTokens.get(m[1]);
    if (exp === undefined) return { ok: false, error: new AliError(401, 'AccessTokenInvalid', 'AccessToken is invalid. ErrValidation') };
    if (Date.now() >= exp) return { ok: false, error: new AliError(401, 'AccessTokenExpired', 'AccessToken is expired. ErrValidation.ExpiredToken') };
    return { ok: true, token: m[1] };
  }

  /** The user signed out everywhere: every legacy token stops working. */
  revokeAll(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }
}

/** POST /v2/account/token */
export async function handleLegacyToken(ctx: AliContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.stats.inc('legacyToken');
  try {
    if (req.method !== 'POST') throw new AliError(405, 'MethodNotAllowed', 'The endpoint only accepts POST.');
    const body = await readJson(req).catch(() => undefined);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw missingParam('refresh_token');
    const grant = ctx.legacy.auth.refresh(body as Record<string, unknown>);
    sendJson(res, 200, { ...grant, user_id: ctx.userId, default_drive_id: ctx.drives.default.driveId }, { 'Cache-Control': 'no-store' });
  } catch (e) {
    ctx.stats.inc('legacyTokenError');
    throw e;
  }
}
