// Admin endpoints under /_emulator/ — not part of the platform. Tests, the CLI
// and the demo use them to read counters, inject faults and play the user
// (authorising again, revoking the app). No auth, no latency, not counted.
//
//   GET  /_emulator/stats            → counters
//   POST /_emulator/stats/reset      → 204
//   GET  /_emulator/faults           → current fault settings
//   POST /_emulator/faults {patch}   → updated settings (400 on a bad key/value)
//   POST /_emulator/refresh-token    → {refresh_token} (a new valid one)
//   POST /_emulator/revoke           → 204; every token stops working

import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendEmpty, sendJson } from '../common/http.js';
import type { AliContext } from './context.js';
import { AliError } from './errors.js';
import type { AliyunFaults } from './settings.js';

export const ADMIN_PREFIX = '/_emulator/';

const methodNotAllowed = (m: string): AliError => new AliError(405, 'MethodNotAllowed', `Method ${m} is not allowed here.`);

export async function handleAdmin(
  ctx: AliContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  setFaults: (f: Partial<AliyunFaults>) => void,
): Promise<void> {
  const route = rawPath.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  switch (route) {
    case 'stats':
      if (method !== 'GET') throw methodNotAllowed(method);
      return sendJson(res, 200, ctx.stats.snapshot());
    case 'stats/reset':
      if (method !== 'POST') throw methodNotAllowed(method);
      ctx.stats.reset();
      return sendEmpty(res, 204);
    case 'faults':
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
        let patch: unknown;
        try {
          patch = await readJson(req);
        } catch {
          patch = null;
        }
        if (patch !== undefined && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) {
          throw new AliError(400, 'InvalidParameter', 'The body must be a JSON object of fault settings.');
        }
        try {
          setFaults((patch ?? {}) as Partial<AliyunFaults>);
        } catch (e) {
          throw new AliError(400, 'InvalidParameter', (e as Error).message);
        }
      } else if (method !== 'GET') {
        throw methodNotAllowed(method);
      }
      return sendJson(res, 200, ctx.faults.get());
    case 'refresh-token':
      if (method !== 'POST') throw methodNotAllowed(method);
      return sendJson(res, 200, { refresh_token: ctx.auth.mintRefreshToken() });
    case 'revoke':
      if (method !== 'POST') throw methodNotAllowed(method);
      ctx.auth.revokeAll();
      return sendEmpty(res, 204);
    default:
      throw new AliError(404, 'NotFound', `No admin endpoint '${route}'.`);
  }
}
