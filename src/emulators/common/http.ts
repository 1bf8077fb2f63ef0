// Small request/response helpers shared by the emulators (node:http only).

import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {}

/** Reads a whole request body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 4 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new BodyTooLargeError(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Parses a form-urlencoded body (as OAuth token endpoints receive). */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, 1 << 20)).toString('utf8'));
}

/** Parses a JSON body; an empty body gives `undefined`, bad JSON throws SyntaxError. */
export async function readJson(req: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  const text = (await readBody(req, limit)).toString('utf8').trim();
  return text === '' ? undefined : JSON.parse(text);
}

/** Drains and discards a request body (so keep-alive connections stay usable). */
export async function discardBody(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
  contentType = 'application/json; charset=utf-8',
): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': payload.length,
    ...headers,
  });
  res.end(payload);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

/** Splits a raw request target into path and query without normalising the path. */
export function splitTarget(url: string | undefined): { path: string; query: URLSearchParams; rawQuery: string } {
  const u = url ?? '/';
  const q = u.indexOf('?');
  const path = q < 0 ? u : u.slice(0, q);
  const rawQuery = q < 0 ? '' : u.slice(q + 1);
  return { path, query: new URLSearchParams(rawQuery), rawQuery };
}
