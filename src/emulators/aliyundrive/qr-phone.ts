// The phone's side of the QR login: the page the QR code holds (on the
// service https://www.alipan.com/o/oauth/authorize?sid=<sid>, opened by the
// app after a scan). The emulated user is signed in on the phone, so:
//
//   GET  /o/oauth/authorize?sid=<sid>                 the scan: → ScanSuccess, page with confirm / cancel
//   POST /o/oauth/authorize?sid=<sid>&action=confirm  → LoginSuccess ("authorised" page)
//   POST /o/oauth/authorize?sid=<sid>&action=cancel   → LoginFailed
//
// Refusals are 400 HTML pages: unknown or expired sid, a login already
// confirmed / cancelled (also for GET), or confirm / cancel before the page
// was opened (a scan comes first). Answers are HTML because a phone reads them.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { discardBody } from '../common/http.js';
import type { AliContext } from './context.js';

export const PHONE_PATH = '/o/oauth/authorize';

export const phonePageUrl = (ctx: AliContext, sid: string): string => `${ctx.url}${PHONE_PATH}?sid=${encodeURIComponent(sid)}`;

export async function handlePhone(ctx: AliContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  ctx.stats.inc('qrPhone');
  await discardBody(req);
  const sid = query.get('sid') ?? '';
  if (req.method === 'GET') {
    const refused = ctx.qr.scan(sid);
    if (refused) return sendPage(res, 400, 'Authorisation failed', `<p id="error">${escapeHtml(refused)}</p>`);
    const scopes = (ctx.qr.scopesOf(sid) ?? []).map((s) => `<li>${escapeHtml(s)}</li>`).join('');
    const button = (action: string, label: string): string =>
      `<form method="post" action="${escapeHtml(`${PHONE_PATH}?sid=${encodeURIComponent(sid)}&action=${action}`)}">` +
      `<button type="submit">${label}</button></form>`;
    return sendPage(
      res,
      200,
      'Authorise the app',
      `<p>An app asks for access to your drive:</p>\n<ul>${scopes}</ul>\n${button('confirm', 'Confirm')}\n${button('cancel', 'Cancel')}`,
    );
  }
  if (req.method !== 'POST') return sendPage(res, 405, 'Not allowed', `<p>The method ${escapeHtml(req.method ?? '')} is not allowed here.</p>`);
  const action = query.get('action');
  if (action !== 'confirm' && action !== 'cancel') {
    return sendPage(res, 400, 'Authorisation failed', '<p id="error">action must be confirm or cancel.</p>');
  }
  const refused = ctx.qr.decide(sid, action === 'confirm');
  if (refused) return sendPage(res, 400, 'Authorisation failed', `<p id="error">${escapeHtml(refused)}</p>`);
  if (action === 'confirm') return sendPage(res, 200, 'Authorised', '<p>You can go back to your computer.</p>');
  sendPage(res, 200, 'Cancelled', '<p>The login was cancelled.</p>');
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `body` is already-escaped HTML. Never cached: a replayed page would lie about the state. */
function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const page = Buffer.from(
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<title>${escapeHtml(title)}</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`,
  );
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length, 'Cache-Control': 'no-store' });
  res.end(page);
}
