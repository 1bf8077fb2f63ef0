// Admin endpoints under /_emulator/, the same for every emulator — not part of any service.
// Tests, the CLI and the demo use them to read counters, inject faults and play the user
// (authorising again, revoking the app). No auth, no latency, not counted in the stats.
//
//   GET  /_emulator/stats            → counters
//   POST /_emulator/stats/reset      → 204
//   GET  /_emulator/faults           → current fault settings
//   POST /_emulator/faults {patch}   → updated settings (400 on a bad key/value)
//   POST /_emulator/refresh-token    → {refresh_token} (a new valid one)
//   POST /_emulator/revoke           → 204; every token stops working

import type { IncomingMessage, ServerResponse } from 'node:http';

import { readJson, sendEmpty, sendJson } from './http.js';

export const ADMIN_PREFIX = '/_emulator/';

export interface AdminTarget<F> {
  stats: { snapshot(): Record<string, number>; reset(): void };
  faults: { get(): unknown };
  auth: { mintRefreshToken(): string; revokeAll(): void };
  setFaults(f: Partial<F>): void;
  /** Each service answers admin mistakes in its own error format. */
  errors: {
    badRequest(message: string): Error;
    methodNotAllowed(method: string): Error;
    notFound(message: string): Error;
  };
}

export async function handleAdmin<F>(t: AdminTarget<F>, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  const route = rawPath.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const only = (m: string) => {
    if (method !== m) throw t.errors.methodNotAllowed(method);
  };
  switch (route) {
    case 'stats':
      only('GET');
      return sendJson(res, 200, t.stats.snapshot());
    case 'stats/reset':
      only('POST');
      t.stats.reset();
      return sendEmpty(res, 204);
    case 'faults':
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
        const patch = await readJson(req).catch(() => null);
        if (patch !== undefined && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) {
          throw t.errors.badRequest('The body must be a JSON object of fault settings.');
        }
        try {
          t.setFaults((patch ?? {}) as Partial<F>);
        } catch (e) {
          throw t.errors.badRequest((e as Error).message);
        }
      } else {
        only('GET');
      }
      return sendJson(res, 200, t.faults.get());
    case 'refresh-token':
      only('POST');
      return sendJson(res, 200, { refresh_token: t.auth.mintRefreshToken() });
    case 'revoke':
      only('POST');
      t.auth.revokeAll();
      return sendEmpty(res, 204);
    default:
      throw t.errors.notFound(`No admin endpoint '${route}'.`);
  }
}
