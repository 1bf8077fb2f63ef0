// The Microsoft identity platform part of the emulator: the v2.0 token endpoint
// (refresh-token grant, authorization-code grant for codes issued by
// authorize.ts; device-code.ts plugs its grant in) and Bearer checking for Graph.
//
// Behaviours that matter to a client and are reproduced here:
// - refresh tokens rotate: a successful refresh invalidates the token used;
// - errors are `{error, error_description, error_codes, ...}` with AADSTS codes;
// - access tokens expire after `expires_in`, after which Graph answers 401
//   InvalidAuthenticationToken;
// - revoking the app invalidates every token at once;
// - the emulated app is confidential (it has a secret) with "allow public
//   client flows" on: a grant may declare that it works without the secret
//   (device code), and refresh tokens minted that way refresh without it too,
//   while every other refresh token keeps requiring the secret.

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

export interface TokenResponse {
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

export interface Grant {
  /** Runs the grant; `secretGiven` is true when the (checked) client_secret came with it. */
  handle(form: URLSearchParams, secretGiven: boolean): TokenResponse;
  /** True when this request may go without client_secret (public-client use); default never. */
  allowsNoSecret?(form: URLSearchParams): boolean;
}

export type BearerCheck = { ok: true } | { ok: false; message: string };

const opaque = (prefix: string, bytes: number): string => prefix + randomBytes(bytes).toString('base64url');

export class AuthState {
  /** refresh token → minted for a public client (so it refreshes without a secret) */
  private refreshTokens = new Map<string, { publicClient: boolean }>();
  /** access token → expiry (ms since epoch) */
  private accessTokens = new Map<string, number>();
  /** authorization code → redirect_uri it was issued for */
  private codes = new Map<string, { redirectUri?: string; expiresAt: number }>();
  private revokeHooks: Array<() => void> = [];
  /**
   * grant_type → grant. Other flows (device code) plug in here; the
   * authorize endpoint only needs issueAuthorizationCode().
   */
  readonly grants = new Map<string, Grant>([
    [
      'refresh_token',
      {
        handle: (f) => this.refreshGrant(f),
        allowsNoSecret: (f) => this.refreshTokens.get(f.get('refresh_token') ?? '')?.publicClient === true,
      },
    ],
    ['authorization_code', { handle: (f) => this.codeGrant(f) }],
  ]);

  constructor(private readonly cfg: AuthConfig) {}

  get clientId(): string {
    return this.cfg.clientId;
  }

  /** A new valid refresh token (as if the user had just signed in with the confidential client). */
  mintRefreshToken(value?: string, publicClient = false): string {
    const token = value ?? opaque('M.C5_BAY.', 96);
    this.refreshTokens.set(token, { publicClient });
    return token;
  }

  /** For the /authorize endpoint: a single-use code valid for 10 minutes. */
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
    for (const hook of this.revokeHooks) hook();
  }

  /** Lets other flows (device codes) forget their pending state on revokeAll(). */
  onRevoke(hook: () => void): void {
    this.revokeHooks.push(hook);
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
    if (clientId !== this.cfg.clientId) throw unknownClient(clientId);
    const secret = form.get('client_secret');
    const grant = this.grants.get(grantType);
    // A secret, when given, must be right whatever the grant; leaving it out
    // is only allowed where the grant says so (public-client flows).
    if (secret === null && !grant?.allowsNoSecret?.(form)) {
      throw new OAuthError(
        401,
        'invalid_client',
        7000218,
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (secret !== null && secret !== this.cfg.clientSecret) {
      throw new OAuthError(
        401,
        'invalid_client',
        7000215,
        'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      );
    }
    if (!grant) {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        70003,
        `AADSTS70003: The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    return grant.handle(form, secret !== null);
  }

  private refreshGrant(form: URLSearchParams): TokenResponse {
    const rt = form.get('refresh_token');
    if (!rt) throw missing('refresh_token');
    // Rotation: the presented token is consumed whether or not the caller
    // manages to store the new one.
    const entry = this.refreshTokens.get(rt);
    this.refreshTokens.delete(rt);
    if (!entry) {
      throw new OAuthError(
        400,
        'invalid_grant',
        70000,
        'AADSTS70000: The provided value for the input parameter \'refresh_token\' or \'assertion\' is not valid.',
      );
    }
    // The new token keeps the old one's kind: a public-client login stays one.
    return this.issue(entry.publicClient);
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

  /** Access + refresh token, as every successful grant answers. */
  issue(publicClient = false): TokenResponse {
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
      refresh_token: this.mintRefreshToken(undefined, publicClient),
    };
  }
}

/** AADSTS700016's text, also shown on the authorize error page. */
export const unknownClientMessage = (clientId: string): string =>
  `AADSTS700016: Application with identifier '${clientId}' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`;

/** What AAD answers for an application id it does not know. */
export const unknownClient = (clientId: string): OAuthError =>
  new OAuthError(400, 'unauthorized_client', 700016, unknownClientMessage(clientId));

export function missing(param: string): OAuthError {
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

/** AAD's JSON error body (token and device-code endpoints). */
export function sendOAuthError(res: ServerResponse, e: OAuthError): void {
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
