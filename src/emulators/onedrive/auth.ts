// The Microsoft identity platform part of the emulator: the v2.0 token endpoint
// (refresh-token grant, and authorization-code grant for codes issued by a
// future /authorize or device-code endpoint) and Bearer checking for Graph.
//
// Behaviours that matter to a client and are reproduced here:
// - refresh tokens rotate: a successful refresh invalidates the token used;
// - errors are `{error, error_description, error_codes, ...}` with AADSTS codes;
// - access tokens expire after `expires_in`, after which Graph answers 401
//   InvalidAuthenticationToken;
// - revoking the app invalidates every token at once.

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readForm, sendJson } from '../common/http.js';

export const TOKEN_SCOPE = 'Files.ReadWrite.All offline_access';

export interface AuthConfig {
  clientId: string;
  clientSecret: string;
  /** Read at mint time so fault changes apply to tokens issued afterwards. */
  accessTokenTtlSec: () => number;
}

interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  ext_expires_in: number;
  scope: string;
  access_token: string;
  refresh_token: string;
}

/** An OAuth failure as AAD reports it. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    description: string,
  ) {
    super(description);
  }
}

type GrantHandler = (form: URLSearchParams) => TokenResponse;

export type BearerCheck = { ok: true } | { ok: false; message: string };

const opaque = (prefix: string, bytes: number): string => prefix + randomBytes(bytes).toString('base64url');

export class AuthState {
  private refreshTokens = new Set<string>();
  /** access token → expiry (ms since epoch) */
  private accessTokens = new Map<string, number>();
  /** authorization code → redirect_uri it was issued for */
  private codes = new Map<string, { redirectUri?: string; expiresAt: number }>();
  /**
   * grant_type → handler. Later flows (device code) plug in here; the
   * authorize endpoint only needs issueAuthorizationCode().
   */
  readonly grants = new Map<string, GrantHandler>([
    ['refresh_token', (f) => this.refreshGrant(f)],
    ['authorization_code', (f) => this.codeGrant(f)],
  ]);

  constructor(private readonly cfg: AuthConfig) {}

  get clientId(): string {
    return this.cfg.clientId;
  }

  /** A new valid refresh token (as if the user had just signed in). */
  mintRefreshToken(value?: string): string {
    const token = value ?? opaque('M.C5_BAY.', 96);
    this.refreshTokens.add(token);
    return token;
  }

  /** For a future /authorize endpoint: a single-use code valid for 10 minutes. */
  issueAuthorizationCode(redirectUri?: string): string {
    const code = opaque('M.C5_BL2.2.', 48);
    this.codes.set(code, { redirectUri, expiresAt: Date.now() + 600_000 });
    return code;
  }

  /** Every refresh token, access token and pending code stops working. */
  revokeAll(): void {
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.codes.clear();
  }

  checkBearer(header: string | undefined): BearerCheck {
    if (!header) return { ok: false, message: 'Access token is empty.' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return { ok: false, message: 'Access token validation failure. Invalid audience.' };
    const expiresAt = this.accessTokens.get(m[1]);
    if (expiresAt === undefined) return { ok: false, message: 'IDX14100: JWT is not well formed, there are no dots (.).' };
    if (Date.now() >= expiresAt) return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
    return { ok: true };
  }

  /** Runs a token request; throws OAuthError for anything AAD would refuse. */
  token(form: URLSearchParams): TokenResponse {
    const grantType = form.get('grant_type');
    if (!grantType) throw missing('grant_type');
    const clientId = form.get('client_id');
    if (!clientId) throw missing('client_id');
    if (clientId !== this.cfg.clientId) {
      // What AAD answers for an application id it does not know.
      throw new OAuthError(
        400,
        'unauthorized_client',
        700016,
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    }
    const secret = form.get('client_secret');
    if (secret === null) {
      throw new OAuthError(
        401,
        'invalid_client',
        7000218,
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (secret !== this.cfg.clientSecret) {
      throw new OAuthError(
        401,
        'invalid_client',
        7000215,
        'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      );
    }
    const grant = this.grants.get(grantType);
    if (!grant) {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        70003,
        `AADSTS70003: The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    return grant(form);
  }

  private refreshGrant(form: URLSearchParams): TokenResponse {
    const rt = form.get('refresh_token');
    if (!rt) throw missing('refresh_token');
    // Rotation: the presented token is consumed whether or not the caller
    // manages to store the new one.
    if (!this.refreshTokens.delete(rt)) {
      throw new OAuthError(
        400,
        'invalid_grant',
        70000,
        'AADSTS70000: The provided value for the input parameter \'refresh_token\' or \'assertion\' is not valid.',
      );
    }
    return this.issue();
  }

  private codeGrant(form: URLSearchParams): TokenResponse {
    const code = form.get('code');
    if (!code) throw missing('code');
    const entry = this.codes.get(code);
    this.codes.delete(code); // single use
    if (!entry || Date.now() >= entry.expiresAt) {
      throw new OAuthError(
        400,
        'invalid_grant',
        70000,
        'AADSTS70000: The provided authorization code or refresh token has expired or is invalid.',
      );
    }
    if (entry.redirectUri !== undefined && form.get('redirect_uri') !== entry.redirectUri) {
      throw new OAuthError(
        400,
        'invalid_grant',
        50011,
        'AADSTS50011: The redirect URI specified in the request does not match the redirect URI used to obtain the authorization code.',
      );
    }
    return this.issue();
  }

  private issue(): TokenResponse {
    const ttl = Math.floor(this.cfg.accessTokenTtlSec());
    const now = Date.now();
    // Forget expired access tokens so a long benchmark does not grow the map.
    if (this.accessTokens.size > 1000) {
      for (const [t, exp] of this.accessTokens) if (exp <= now) this.accessTokens.delete(t);
    }
    const access = opaque('EwB4A8l6BAAU', 96);
    this.accessTokens.set(access, now + ttl * 1000);
    return {
      token_type: 'Bearer',
      expires_in: ttl,
      ext_expires_in: ttl,
      scope: TOKEN_SCOPE,
      access_token: access,
      refresh_token: this.mintRefreshToken(),
    };
  }
}

function missing(param: string): OAuthError {
  return new OAuthError(
    400,
    'invalid_request',
    900144,
    `AADSTS900144: The request body must contain the following parameter: '${param}'.`,
  );
}

/** POST /{tenant}/oauth2/v2.0/token */
export async function handleTokenRequest(auth: AuthState, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const headers = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
  if (req.method !== 'POST') {
    sendOAuthError(res, new OAuthError(405, 'invalid_request', 900561, 'AADSTS900561: The endpoint only accepts POST requests.'));
    return false;
  }
  try {
    const form = await readForm(req);
    sendJson(res, 200, auth.token(form), headers);
    return true;
  } catch (e) {
    if (!(e instanceof OAuthError)) throw e;
    sendOAuthError(res, e);
    return false;
  }
}

function sendOAuthError(res: ServerResponse, e: OAuthError): void {
  const traceId = randomUUID();
  const now = new Date();
  sendJson(
    res,
    e.status,
    {
      error: e.error,
      error_description: `${e.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${traceId}\r\nTimestamp: ${now.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`,
      error_codes: [e.aadsts],
      timestamp: now.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      trace_id: traceId,
      correlation_id: traceId,
    },
    { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
  );
}
