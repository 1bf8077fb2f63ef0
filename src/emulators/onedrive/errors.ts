// Graph-shaped errors: every failure the emulator answers on the Graph host,
// the download host or the upload host is `{"error":{"code","message",innerError}}`
// like the real service, so the driver's error handling is exercised for real.

import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';

export const GRAPH_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string | number> = {},
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

export const notFound = (message = 'The resource could not be found.'): GraphError =>
  new GraphError(404, 'itemNotFound', message);
export const invalidRequest = (message: string, innerCode?: string): GraphError =>
  new GraphError(400, 'invalidRequest', message, {}, innerCode);
export const badSegment = (segment: string): GraphError =>
  new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
export const methodNotAllowed = (method: string | undefined): GraphError =>
  new GraphError(405, 'invalidRequest', `The HTTP method '${method ?? ''}' is not allowed on this resource.`);
export const nameAlreadyExists = (name: string): GraphError =>
  new GraphError(409, 'nameAlreadyExists', `The specified item name already exists. Name: ${name}`);

export function sendGraphError(res: ServerResponse, err: GraphError): void {
  const requestId = randomUUID();
  const innerError: Record<string, string> = {
    date: new Date().toISOString().replace(/\.\d+Z$/, ''),
    'request-id': requestId,
    'client-request-id': requestId,
  };
  if (err.innerCode) innerError.code = err.innerCode;
  sendJson(
    res,
    err.status,
    { error: { code: err.code, message: err.message, innerError } },
    { 'request-id': requestId, 'client-request-id': requestId, ...err.headers },
    GRAPH_JSON,
  );
}
