// The hosted "online renew API" (seed 004: api.oplist.org/alicloud/renewapi)
// that users without their own app configure instead of client id/secret:
//
//   GET /alicloud/renewapi?refresh_ui=<rt>&server_use=true&driver_txt=alicloud_qr
//   → 200 {refresh_token, access_token, text: ""}
//
// It exchanges the refresh token with the platform using its own app
// credentials, so it rotates tokens exactly like POST /oauth/access_token.
//
// Failures: the real renewer (OpenListTeam/cf-worker-api, shares/refresh.ts)
// answers HTTP 500 with `{text}` holding the platform's error message (and
// 500 "缺少刷新令牌" / "传入参数缺少" for missing query parameters). The
// emulator sends the same status and also empty token fields, so a client
// reading either shape sees "no tokens, error in text":
//   500 {refresh_token: "", access_token: "", text: "<message>"}

import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';
import type { AuthState } from './auth.js';
import { AliError } from './errors.js';

export const RENEW_PATH = '/alicloud/renewapi';
/** What the hosted renewer answers on any failure. */
export const RENEW_ERROR_STATUS = 500;

/** Returns whether tokens were issued. */
export function handleRenew(auth: AuthState, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): boolean {
  const fail = (text: string, status = RENEW_ERROR_STATUS): false => {
    sendJson(res, status, { refresh_token: '', access_token: '', text });
    return false;
  };
  if (req.method !== 'GET') return fail(`method ${req.method ?? ''} not allowed`, 405);
  const serverUse = query.get('server_use');
  // The hosted renewer needs either its own app (server_use=true) or the
  // caller's (driver_txt + client_key); the emulator only has its own.
  if (serverUse !== 'true' && (!query.get('driver_txt') || !query.get('client_key'))) return fail('传入参数缺少');
  const rt = query.get('refresh_ui');
  if (!rt) return fail('缺少刷新令牌');
  try {
    const t = auth.refreshGrant({ refresh_token: rt });
    sendJson(res, 200, { refresh_token: t.refresh_token, access_token: t.access_token, text: '' }, { 'Cache-Control': 'no-store' });
    return true;
  } catch (e) {
    if (e instanceof AliError) return fail(e.message);
    throw e;
  }
}
