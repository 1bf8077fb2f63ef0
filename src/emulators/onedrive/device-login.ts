// /devicelogin — the browser side of the device-code flow (the real one is
// https://microsoft.com/devicelogin). The emulated user is signed in, so
// entering a code is the whole interaction: it approves the code, or declines
// it when the `denyConsent` fault is on.
//
//   GET  /devicelogin              the "Enter code" form
//   GET  /devicelogin?otc=CODE     enter CODE (as the real page's link form does)
//   POST /devicelogin  otc=CODE    the form's submission

import type { IncomingMessage, ServerResponse } from 'node:http';

import { readForm } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { escapeHtml, sendHtml } from './html.js';

export const DEVICE_LOGIN_PATH = /^\/devicelogin\/?$/i;

const FORM = `<form method="post" action="/devicelogin">
<p>Enter the code displayed on your app or device.</p>
<input name="otc" autocomplete="off" autofocus placeholder="Code" maxlength="20">
<button type="submit">Next</button>
</form>`;

export async function handleDeviceLogin(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  ctx.stats.inc('deviceLogin');
  let typed: string | null;
  if (req.method === 'GET' || req.method === 'HEAD') typed = query.get('otc');
  else if (req.method === 'POST') typed = (await readForm(req)).get('otc') ?? '';
  else return sendHtml(res, 405, 'Enter code', `<p>The method ${escapeHtml(req.method ?? '')} is not allowed here.</p>`);

  if (typed === null) return sendHtml(res, 200, 'Enter code', FORM);
  const deny = ctx.faults.get().denyConsent !== 0;
  if (!ctx.deviceCodes.decide(typed, !deny)) {
    return sendHtml(res, 400, 'Enter code', `<p id="error">That code didn't work. Check the code and try again.</p>\n${FORM}`);
  }
  const app = escapeHtml(ctx.auth.clientId);
  if (deny) {
    return sendHtml(
      res,
      200,
      'Sign-in declined',
      `<p>You have declined to sign in to the ${app} application on your device. You may now close this window.</p>`,
    );
  }
  sendHtml(res, 200, 'Signed in', `<p>You have signed in to the ${app} application on your device. You may now close this window.</p>`);
}
