// The few HTML pages the login host shows a browser (sign-in errors, the
// device-login form). Plain, escaped, never cached — like AAD's own pages,
// which a browser must not replay.

import type { ServerResponse } from 'node:http';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `body` is already-escaped HTML. */
export function sendHtml(res: ServerResponse, status: number, title: string, body: string): void {
  const page = Buffer.from(
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
      `<body>\n<h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`,
  );
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': page.length,
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    'X-Frame-Options': 'DENY',
  });
  res.end(page);
}

/** AAD's "Sorry, but we're having trouble signing you in" page, with the AADSTS message. */
export function sendSignInError(res: ServerResponse, status: number, message: string): void {
  sendHtml(
    res,
    status,
    'Sign in to your account',
    `<p>Sorry, but we\u2019re having trouble signing you in.</p>\n<p id="error">${escapeHtml(message)}</p>`,
  );
}
