// The HTML SharePoint shows a browser: the password form of a protected link, the sign-in page
// an expired cookie gets instead of bytes, and the error page of a revoked link.

import type { ServerResponse } from 'node:http';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function sendHtml(res: ServerResponse, status: number, title: string, body: string, headers: Record<string, string | string[]> = {}): void {
  const page = Buffer.from(
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`,
  );
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length, 'Cache-Control': 'private, no-store', ...headers });
  res.end(page);
}

/** The page of a password-protected link: an ASP.NET form with its hidden state fields. */
export function sendPasswordForm(res: ServerResponse, action: string, viewState: string, eventValidation: string, wrong: boolean): void {
  sendHtml(
    res,
    200,
    'Enter password',
    `<form method="post" action="${escapeHtml(action)}" id="inputForm">\n` +
      `<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="${escapeHtml(viewState)}" />\n` +
      `<input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="BAB98CB3" />\n` +
      `<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="${escapeHtml(eventValidation)}" />\n` +
      `<p>This link is password protected.</p>\n` +
      (wrong ? `<p id="passwordError" role="alert">Incorrect password, please try again.</p>\n` : '') +
      `<input name="txtPassword" type="password" id="txtPassword" />\n<input type="submit" name="btnSubmitPassword" value="Verify" id="btnSubmitPassword" />\n</form>`,
  );
}

/** What a browser without a valid cookie gets instead of the file: a sign-in page, status 200. */
export function sendSignInPage(res: ServerResponse): void {
  sendHtml(res, 200, 'Sign in to your account', '<p>Sign in</p><form method="post" action="https://login.microsoftonline.com/common/login"><input type="email" name="loginfmt" /></form>');
}

/** A link that leads nowhere any more. */
export function sendLinkGone(res: ServerResponse): void {
  sendHtml(res, 404, 'Error', '<p>This link has been removed or has expired. Ask the person who shared it with you for a new link.</p>');
}
