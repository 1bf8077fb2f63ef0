// SharePoint REST errors: `{"error":{"code":"-2147024891, System.UnauthorizedAccessException","message":{...}}}`.

import type { ServerResponse } from 'node:http';
import { sendJson } from '../common/http.js';

export class ShareApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const accessDenied = (m = 'Access denied.') => new ShareApiError(403, '-2147024891, System.UnauthorizedAccessException', m);
export const fileNotFound = (m = 'File Not Found.') => new ShareApiError(404, '-2147024894, System.IO.FileNotFoundException', m);
export const badRequest = (m: string) => new ShareApiError(400, '-1, Microsoft.SharePoint.Client.InvalidClientQueryException', m);
export const methodNotAllowed = (m?: string) => new ShareApiError(405, '-1, System.NotSupportedException', `Method ${m ?? ''} is not allowed here.`);

export function sendShareError(res: ServerResponse, e: ShareApiError): void {
  sendJson(res, e.status, { error: { code: e.code, message: { lang: 'en-US', value: e.message } } }, e.headers);
}
