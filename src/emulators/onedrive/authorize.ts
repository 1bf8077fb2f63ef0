// GET /{tenant}/oauth2/v2.0/authorize — the browser half of the
// authorization-code flow. The emulated user is always signed in, so there is
// no sign-in form: the request is checked the way AAD checks it and answered
// at once with the redirect AAD sends after the consent screen.
//
// - an unknown app or a redirect URI the app did not register cannot be sent
//   back to the client safely, so AAD shows an error page (no redirect);
// - everything else goes back to redirect_uri: `code` (+ `state`,
//   `session_state`) on consent, `error`/`error_description` otherwise.
// `prompt` changes nothing here: the user is signed in and the consent answer
// comes from the `denyConsent` fault. `response_mode` is not modelled: answers
// always go in the query, AAD's default for response_type=code.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendEmpty } from '../common/http.js';
import { unknownClientMessage } from './auth.js';
import type { EmulatorContext } from './context.js';
import { sendHtml, sendSignInError } from './html.js';

export const AUTHORIZE_PATH = /^\/[^/]+\/oauth2\/v2\.0\/authorize\/?$/i;

/** The only redirect URI of the emulated app registration. */
export const REGISTERED_REDIRECT_URI = 'http://localhost/';

// AAD ignores the port of a loopback redirect URI (RFC 8252 §7.3: native apps
// pick a free port at run time), and takes 127.0.0.1 for localhost. The rest
// must match exactly: scheme, path '/', no query, no fragment.
const LOOPBACK_REDIRECT = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?\/$/i;

export function redirectUriRegistered(uri: string): boolean {
  return LOOPBACK_REDIRECT.test(uri);
}

export function handleAuthorize(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
  ctx.stats.inc('authorize');
  // A browser only ever navigates here with GET (AAD's form_post is about the answer, not the request).
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendHtml(res, 405, 'Sign in to your account', '<p>AADSTS900561: The endpoint only accepts GET requests.</p>');
  }
  const clientId = query.get('client_id') ?? '';
  if (clientId !== ctx.auth.clientId) return sendSignInError(res, 400, unknownClientMessage(clientId));
  const redirectUri = query.get('redirect_uri');
  if (redirectUri === null || !redirectUriRegistered(redirectUri)) {
    return sendSignInError(
      res,
      400,
      `AADSTS50011: The redirect URI '${redirectUri ?? ''}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
    );
  }

  const state = query.get('state');
  // Parameters in AAD's order: the answer, then the echoed state, then extras.
  const back = (params: Array<[string, string]>, extra: Array<[string, string]> = []): void => {
    const q = new URLSearchParams(params);
    if (state !== null) q.append('state', state);
    for (const [k, v] of extra) q.append(k, v);
    sendEmpty(res, 302, { Location: `${redirectUri}?${q}`, 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
  };
  const responseType = query.get('response_type');
  if (responseType !== 'code') {
    return back([
      ['error', 'unsupported_response_type'],
      ['error_description', `AADSTS70005: response_type '${responseType ?? ''}' is not enabled for the application.`],
    ]);
  }
  if (!query.get('scope')) {
    return back([
      ['error', 'invalid_request'],
      ['error_description', "AADSTS900144: The request body must contain the following parameter: 'scope'."],
    ]);
  }
  if (ctx.faults.get().denyConsent) {
    // The user clicked "No" on the permissions screen.
    return back([
      ['error', 'access_denied'],
      ['error_description', 'AADSTS65004: User declined to consent to access the app.'],
    ]);
  }
  // The code is bound to this exact redirect_uri (port included): the token
  // endpoint refuses it with any other.
  back([['code', ctx.auth.issueAuthorizationCode(redirectUri)]], [['session_state', randomUUID()]]);
}
