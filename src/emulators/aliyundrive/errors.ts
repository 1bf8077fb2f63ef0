// Error shapes of the two kinds of host the emulator plays:
// - the API host (openapi.alipan.com): JSON `{code, message, requestId}`;
// - the storage host behind download and part-upload URLs (OSS / its CDN):
//   XML `<Error><Code>…</Code><Message>…</Message>…</Error>`, as OSS answers.
// Messages follow the service's templates ("The input parameter x is not
// valid.", "The resource file cannot be found. …") so logs read the same.

import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';

export class AliError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string | number> = {},
    /** Extra fields some errors carry next to code/message (e.g. PreHashMatched). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const requestId = (): string => randomUUID().toUpperCase();

/** 400 InvalidParameter.<Name>: `param` is the wire name, e.g. "parent_file_id". */
export function invalidParam(param: string, detail = ''): AliError {
  const suffix = param
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
  return new AliError(400, `InvalidParameter.${suffix}`, `The input parameter ${param} is not valid. ${detail}`.trim());
}

export const missingParam = (param: string): AliError =>
  new AliError(400, 'InvalidParameterMissing', `The input parameter ${param} is missing.`);

/** An addressed item (file_id / file_path) does not exist (or is in the recycle bin). */
export const fileNotFound = (): AliError =>
  new AliError(404, 'NotFound.File', 'The resource file cannot be found. file not exist');

/** A parent / destination folder id does not exist or is not a folder. */
export const parentNotFound = (): AliError =>
  new AliError(404, 'NotFound.FileId', 'The resource file_id cannot be found. parent file not exist');

export const uploadNotFound = (): AliError =>
  new AliError(404, 'NotFound.UploadId', 'The resource upload_id cannot be found. Please check.');

export const alreadyExists = (name: string): AliError =>
  new AliError(409, 'AlreadyExist.File', `The resource file has already exists. file with same name exists: ${name}`);

export const inRecycleBin = (): AliError =>
  new AliError(403, 'ForbiddenFileInTheRecycleBin', 'The file is in the recycle bin and cannot be operated on.');

export const quotaExhausted = (): AliError =>
  new AliError(400, 'QuotaExhausted.Drive', 'The drive has exceeded the quota.');

export function sendAliError(res: ServerResponse, err: AliError): void {
  const id = requestId();
  sendJson(res, err.status, { ...err.extra, code: err.code, message: err.message, requestId: id }, {
    'x-ca-request-id': id,
    ...err.headers,
  });
}

// ---- storage host (OSS) ----------------------------------------------------

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string | number> = {},
    readonly headers: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export const ossExpired = (expiresSec: number): OssError =>
  new OssError(403, 'AccessDenied', 'Request has expired.', {
    Expires: new Date(expiresSec * 1000).toISOString().replace(/\.\d+Z$/, '.000Z'),
    ServerTime: new Date().toISOString().replace(/\.\d+Z$/, '.000Z'),
  });

export const ossBadSignature = (): OssError =>
  new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function sendOssError(res: ServerResponse, err: OssError, host = 'emulator.oss'): void {
  const id = randomBytes(12).toString('hex').toUpperCase();
  const extra = Object.entries(err.fields)
    .map(([k, v]) => `\n  <${k}>${xmlEscape(String(v))}</${k}>`)
    .join('');
  const body = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${err.code}</Code>\n  <Message>${xmlEscape(err.message)}</Message>\n` +
      `  <RequestId>${id}</RequestId>\n  <HostId>${host}</HostId>${extra}\n</Error>\n`,
  );
  res.writeHead(err.status, {
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
    'x-oss-request-id': id,
    ...err.headers,
  });
  res.end(body);
}
