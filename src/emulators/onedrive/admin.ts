// Admin endpoints under /_emulator/ — not part of Graph. Tests, the CLI and
// the demo use them to read counters, inject faults and simulate the user
// (signing in again, revoking the app). They need no auth, add no latency
// and are not counted in the stats.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendEmpty, sendJson } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { GraphError, invalidRequest, methodNotAllowed } from './errors.js';
import type { OneDriveFaults } from './settings.js';

export const ADMIN_PREFIX = '/_emulator/';

export async function handleAdmin(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  setFaults: (f: Partial<OneDriveFaults>) => void,
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
          throw invalidRequest('The body must be a JSON object of fault settings.');
        }
        if (patch !== undefined && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) {
          throw invalidRequest('The body must be a JSON object of fault settings.');
        }
        try {
          setFaults((patch ?? {}) as Partial<OneDriveFaults>);
        } catch (e) {
          throw invalidRequest((e as Error).message);
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
      throw new GraphError(404, 'itemNotFound', `No admin endpoint '${route}'.`);
  }
}
