// POST /v3/batch of the legacy API: {resource: "file", requests: [{id, method,
// url, headers, body}]} → always 200 {responses: [{id, status, body}]}; each
// sub-request succeeds or fails on its own (status ≥ 400 with {code, message}).
// Sub-requests served: POST /file/move (200), /file/copy (201). No /file/delete: the wire facts
// establish no permanent delete for this API (only /v2/recyclebin/trash), so it is an unknown url (404).
// Strict choices: at most 100 sub-requests; the method must be POST; a move
// whose name is taken under check_name_mode "refuse" (the default) fails with
// 409 AlreadyExist.File instead of Open's success-with-exist.

import type { ApiCall } from './context.js';
import { AliError, invalidParam, missingParam, requestId } from './errors.js';
import * as mutations from './mutations.js';

type SubHandler = (call: ApiCall) => Promise<{ status: number; body: unknown }>;

const MAX_REQUESTS = 100;

/** Sub-request url → handler. */
export const BATCH_HANDLERS: Record<string, SubHandler> = {
  '/file/move': async (call) => {
    const a = (await mutations.move(call)) as { exist?: boolean };
    if (a?.exist) throw new AliError(409, 'AlreadyExist.File', 'The resource file has already existed.');
    return { status: 200, body: a };
  },
  '/file/copy': async (call) => ({ status: 201, body: await mutations.copy(call) }),
};

export async function batch(call: ApiCall): Promise<unknown> {
  const requests = call.body.requests;
  if (requests === undefined) throw missingParam('requests');
  if (!Array.isArray(requests) || requests.length === 0 || requests.length > MAX_REQUESTS) {
    throw invalidParam('requests', `must be a list of 1 to ${MAX_REQUESTS} requests`);
  }
  if (call.body.resource !== 'file') throw invalidParam('resource', "must be 'file'");
  const responses = [];
  for (const r of requests as Array<Record<string, unknown>>) {
    const id = typeof r?.id === 'string' ? r.id : '';
    try {
      if (!id) throw missingParam('id');
      if (r.method !== 'POST') throw new AliError(405, 'MethodNotAllowed', 'Sub-requests must be POST.');
      const handler = typeof r.url === 'string' ? BATCH_HANDLERS[r.url] : undefined;
      if (!handler) throw new AliError(404, 'NotFound', `Invalid request url '${String(r.url)}'.`);
      const body = r.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidParam('body', 'must be a JSON object');
      const a = await handler({ ...call, body: body as Record<string, unknown> });
      responses.push({ id, status: a.status, ...(a.body === null ? {} : { body: a.body }) });
    } catch (e) {
      if (!(e instanceof AliError)) throw e;
      responses.push({ id, status: e.status, body: { code: e.code, message: e.message, requestId: requestId() } });
    }
  }
  return { responses };
}
