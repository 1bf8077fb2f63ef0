// The signed-in user on the Graph host: who logged in (a login command shows
// it) and which drives they have.
//
//   GET /v1.0/me          the user
//   GET /v1.0/me/drives   their drives (just the personal one)
//
// `/me/drive` and below stay with paths.ts.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { GRAPH_JSON, methodNotAllowed } from './errors.js';
import { driveCollectionJson } from './items.js';

export const USER_PRINCIPAL_NAME = 'emulator.user@contoso.com';

/** `rest` is the path after /v1.0. False when not a /me route. */
export async function handleMe(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, rest: string): Promise<boolean> {
  const user = /^\/me\/?$/i.test(rest);
  if (!user && !/^\/me\/drives\/?$/i.test(rest)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method);
  ctx.stats.inc('me');
  const body = user ? userJson(ctx) : await driveCollectionJson(ctx, [ctx.me]);
  sendJson(res, 200, body, {}, GRAPH_JSON);
  return true;
}

// Stable across restarts on the same folder: the id is the personal drive's
// (for personal accounts Graph uses the same id for both, and drive owner.user.id says so).
function userJson(ctx: EmulatorContext): Record<string, unknown> {
  return {
    '@odata.context': `${ctx.url}/v1.0/$metadata#users/$entity`,
    businessPhones: [],
    displayName: 'Emulator User',
    givenName: 'Emulator',
    surname: 'User',
    mail: USER_PRINCIPAL_NAME,
    userPrincipalName: USER_PRINCIPAL_NAME,
    id: ctx.me.driveId,
  };
}
