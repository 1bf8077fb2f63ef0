import { DriveError, type ErrnoCode } from '../util/errors.js';

/** A non-2xx answer, with the service's error code when its body had one. */
export class HttpError extends Error {
  readonly status: number;
  readonly serviceCode?: string;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;

  constructor(status: number, message: string, opts: { serviceCode?: string; body?: unknown; headers?: Record<string, string | string[] | undefined> } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.serviceCode = opts.serviceCode;
    this.body = opts.body;
    this.headers = opts.headers ?? {};
  }
}

/** Generic status → errno, for services that give nothing more precise. Drivers refine by service code first. */
export function errnoForStatus(status: number): ErrnoCode {
  switch (status) {
    case 400: return 'EINVAL';
    case 401: case 403: return 'EACCES';
    case 404: case 410: return 'ENOENT';
    case 409: return 'EEXIST';
    case 413: return 'EFBIG';
    case 414: return 'ENAMETOOLONG';
    case 423: return 'EBUSY';
    case 507: return 'ENOSPC';
    default: return 'EIO';
  }
}

export function httpToDriveError(e: HttpError, what: string): DriveError {
  const detail = e.serviceCode ? `${e.serviceCode}: ${e.message}` : e.message;
  return new DriveError(errnoForStatus(e.status), `${what}: HTTP ${e.status} ${detail}`, { status: e.status, cause: e });
}

export function isHttpStatus(e: unknown, status: number): boolean {
  return e instanceof HttpError && e.status === status;
}
