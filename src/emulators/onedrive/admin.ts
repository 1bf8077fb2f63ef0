// The shared admin endpoints (../common/admin.ts), answering mistakes as Graph errors.

import type { IncomingMessage, ServerResponse } from 'node:http';

import { handleAdmin as handleShared } from '../common/admin.js';
import type { EmulatorContext } from './context.js';
import { GraphError, invalidRequest, methodNotAllowed } from './errors.js';
import type { OneDriveFaults } from './settings.js';

export { ADMIN_PREFIX } from '../common/admin.js';

export function handleAdmin(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  setFaults: (f: Partial<OneDriveFaults>) => void,
): Promise<void> {
  return handleShared<OneDriveFaults>(
    {
      stats: ctx.stats,
      faults: ctx.faults,
      auth: ctx.auth,
      setFaults,
      errors: { badRequest: invalidRequest, methodNotAllowed, notFound: (m) => new GraphError(404, 'itemNotFound', m) },
    },
    req,
    res,
    rawPath,
  );
}
