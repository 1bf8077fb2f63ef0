// The shared admin endpoints (../common/admin.ts), answering mistakes as platform errors.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { handleAdmin as handleShared } from '../common/admin.js';
import type { AliContext } from './context.js';
import { AliError } from './errors.js';
import type { AliyundriveFaults } from './settings.js';

export { ADMIN_PREFIX } from '../common/admin.js';

export function handleAdmin(
  ctx: AliContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  setFaults: (f: Partial<AliyundriveFaults>) => void,
  /** What /_emulator/refresh-token mints when not an Open token (the legacy emulator's). */
  mintRefreshToken?: () => string,
): Promise<void> {
  return handleShared<AliyundriveFaults>(
    {
      stats: ctx.stats,
      faults: ctx.faults,
      auth: mintRefreshToken ? { mintRefreshToken, revokeAll: () => ctx.auth.revokeAll() } : ctx.auth,
      setFaults,
      errors: {
        badRequest: (m) => new AliError(400, 'InvalidParameter', m),
        methodNotAllowed: (m) => new AliError(405, 'MethodNotAllowed', `Method ${m} is not allowed here.`),
        notFound: (m) => new AliError(404, 'NotFound', m),
      },
    },
    req,
    res,
    rawPath,
  );
}
