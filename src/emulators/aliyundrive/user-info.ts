// GET /oauth/users/info with `Authorization: Bearer <access token>` — who
// signed in (login tools show it). It goes through the same checks as every
// API call (api.ts admit(): 401 / frozen 403 / throttling / the 15/s "other"
// rate-limit bucket), but is counted as `userInfo` only, not as `api`
// (which counts the /adrive/v1.0/ calls).

import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';
import { admit, USER_NAME } from './api.js';
import type { AliContext } from './context.js';
import { AliError } from './errors.js';

export const USER_INFO_PATH = '/oauth/users/info';

export function handleUserInfo(ctx: AliContext, req: IncomingMessage, res: ServerResponse): void {
  ctx.stats.inc('userInfo');
  if (req.method !== 'GET') throw new AliError(405, 'MethodNotAllowed', 'The endpoint only accepts GET.');
  admit(ctx, req.headers.authorization, 'userInfo');
  sendJson(res, 200, { id: ctx.userId, name: USER_NAME, avatar: '', phone: '' });
}
