// The OAuth host's side of the QR login (a login tool's view):
//
//   POST /oauth/authorize/qrcode {client_id, client_secret, scopes, width?, height?}
//        → 200 {qrCodeUrl: "<url>/oauth/qrcode/<sid>", sid}
//   GET  /oauth/qrcode/<sid>          the QR "image" (see below)
//   GET  /oauth/qrcode/<sid>/status   → 200 {status} (+ authCode on LoginSuccess), no auth
//
// then POST /oauth/access_token {grant_type: "authorization_code", code: authCode}
// (auth.ts). The phone's page the code leads to is qr-phone.ts.
//
// Deviation: the service's qrCodeUrl answers a PNG of the code; here it answers
// text/plain with the URL the code would hold (the phone page), which is what a
// test or a scripted phone needs, and a client can draw the code itself.
// width/height only size that image, so they are accepted and ignored.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';
import { readOAuthBody } from './auth.js';
import type { AliContext } from './context.js';
import { AliError, invalidParam } from './errors.js';
import { phonePageUrl } from './qr-phone.js';

export const QR_CREATE_PATH = '/oauth/authorize/qrcode';
export const QR_PREFIX = '/oauth/qrcode/';
const QR_PATH = /^\/oauth\/qrcode\/([^/]+)(\/status)?$/;

/** POST /oauth/authorize/qrcode */
export async function handleQrCreate(ctx: AliContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.stats.inc('qrCode');
  const body = await readOAuthBody(req);
  ctx.auth.checkClient(body);
  const scopes = body.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === 'string' && s !== '')) {
    throw invalidParam('scopes', 'It must be a non-empty array of strings.');
  }
  const sid = ctx.qr.create(scopes as string[]);
  sendJson(res, 200, { qrCodeUrl: `${ctx.url}${QR_PREFIX}${sid}`, sid }, { 'Cache-Control': 'no-store' });
}

/** GET /oauth/qrcode/<sid> and GET /oauth/qrcode/<sid>/status */
export function handleQrCode(ctx: AliContext, req: IncomingMessage, res: ServerResponse, rawPath: string): void {
  const m = QR_PATH.exec(rawPath);
  if (!m) throw new AliError(404, 'NotFound', `Invalid request path '${rawPath}'.`);
  const sid = m[1]; // hex, so no decoding: anything else is simply unknown
  const isStatus = m[2] !== undefined;
  ctx.stats.inc(isStatus ? 'qrStatus' : 'qrImage');
  if (req.method !== 'GET') throw new AliError(405, 'MethodNotAllowed', 'The endpoint only accepts GET.');
  if (isStatus) return sendJson(res, 200, ctx.qr.status(sid), { 'Cache-Control': 'no-store' });
  // The "image" only encodes a URL, so it is the same for any sid; the phone
  // page is where an unknown or expired sid is refused.
  const text = Buffer.from(phonePageUrl(ctx, sid));
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': text.length });
  res.end(text);
}
