import { Agent, type Dispatcher } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { HttpError } from './http-error.js';
import { RETRYABLE_STATUS, backoffDelayMs, serverRetryDelayMs } from './retry-policy.js';
import { describeUrl, silentLogger, type Logger } from '../util/log.js';

export interface HttpRequest {
  method?: Dispatcher.HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /**
   * A pre-authenticated URL (download link, upload session): it must carry no Authorization
   * header, and only its origin may ever be logged.
   */
  preauthenticated?: boolean;
  /** Whether a network failure before an answer may be retried (true for GET/HEAD by default). */
  idempotent?: boolean;
  /** Statuses the caller handles itself and that must not throw (e.g. 401 to re-resolve a link). */
  acceptStatus?: readonly number[];
  /** Override the number of retries for this request. */
  maxRetries?: number;
  /**
   * A rate gate taken before each attempt (a retry too) and released (the returned function)
   * once that attempt's answer or failure came: a slot per attempt, never held through the
   * wait before a retry.
   */
  pace?: () => Promise<() => void>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { text(): Promise<string>; json(): Promise<unknown>; dump(): Promise<void> };
}

export interface HttpClientOptions {
  logger?: Logger;
  userAgent?: string;
  /** Parallel connections kept per origin. */
  connectionsPerOrigin?: number;
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest a server-named wait (Retry-After) is honoured; longer waits fail the request. */
  maxServerDelayMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/** Counters a `--stats` line or a test can read. */
export interface HttpStats {
  requests: number;
  /** Requests to the service's API (not pre-authenticated downloads and uploads). */
  apiCalls: number;
  retries: number;
  throttled: number;
  throttleWaitMs: number;
  bytesReceived: number;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

export function isNetworkError(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

/**
 * The one HTTP client every driver uses: keep-alive pools per origin (undici Agent),
 * retries with backoff that honour the server's Retry-After exactly, and errors as HttpError.
 * Retries happen only before a body is handed over; resuming a cut body is the caller's job
 * because only it knows which bytes it already has.
 */
export class HttpClient {
  readonly stats: HttpStats = { requests: 0, apiCalls: 0, retries: 0, throttled: 0, throttleWaitMs: 0, bytesReceived: 0 };
  private readonly agent: Agent;
  private readonly log: Logger;
  private readonly opts: Required<Omit<HttpClientOptions, 'logger'>>;

  constructor(opts: HttpClientOptions = {}) {
    this.log = opts.logger ?? silentLogger;
    this.opts = {
      userAgent: opts.userAgent ?? 'ISV|drivemount|drivemount/0.1',
      connectionsPerOrigin: opts.connectionsPerOrigin ?? 16,
      maxRetries: opts.maxRetries ?? 8,
      baseDelayMs: opts.baseDelayMs ?? 500,
      maxDelayMs: opts.maxDelayMs ?? 30_000,
      maxServerDelayMs: opts.maxServerDelayMs ?? 15 * 60_000,
      headersTimeoutMs: opts.headersTimeoutMs ?? 60_000,
      bodyTimeoutMs: opts.bodyTimeoutMs ?? 60_000,
    };
    this.agent = new Agent({
      connections: this.opts.connectionsPerOrigin,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      headersTimeout: this.opts.headersTimeoutMs,
      bodyTimeout: this.opts.bodyTimeoutMs,
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const method = req.method ?? 'GET';
    const idempotent = req.idempotent ?? (method === 'GET' || method === 'HEAD');
    const maxRetries = req.maxRetries ?? this.opts.maxRetries;
    const where = `${method} ${describeUrl(req.url, req.preauthenticated ?? false)}`;
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...req.headers };
    if (req.preauthenticated) {
      for (const k of Object.keys(headers)) if (k.toLowerCase() === 'authorization') delete headers[k];
    }

    for (let attempt = 1; ; attempt++) {
      req.signal?.throwIfAborted();
      this.stats.requests++;
      if (!req.preauthenticated) this.stats.apiCalls++;
      let res: Dispatcher.ResponseData;
      const paced = await req.pace?.();
      try {
        const { origin, path } = toTarget(req.url);
        res = await this.agent.request({ origin, path, method, headers, body: req.body, signal: req.signal });
      } catch (e) {
        paced?.();
        if (idempotent && isNetworkError(e) && attempt <= maxRetries) {
          const wait = backoffDelayMs(attempt, this.opts);
          this.log.debug({ where, attempt, wait, err: (e as Error).message }, 'network error, retrying');
          this.stats.retries++;
          await sleep(wait, undefined, { signal: req.signal });
          continue;
        }
        throw e;
      }

      paced?.();
      const status = res.statusCode;
      if (status < 400 || req.acceptStatus?.includes(status)) {
        return { status, headers: res.headers, body: res.body as HttpResponse['body'] };
      }

      const retryable = RETRYABLE_STATUS.has(status) && (idempotent || status === 429 || status === 503);
      if (retryable && attempt <= maxRetries) {
        const serverWait = serverRetryDelayMs(res.headers);
        await res.body.dump().catch(() => undefined);
        if (serverWait !== undefined && serverWait > this.opts.maxServerDelayMs) {
          throw new HttpError(status, `${where}: the service asks to wait ${Math.round(serverWait / 1000)} s, longer than allowed`, { headers: res.headers });
        }
        const wait = serverWait ?? backoffDelayMs(attempt, this.opts);
        if (status === 429 || status === 503) {
          this.stats.throttled++;
          this.stats.throttleWaitMs += wait;
        }
        this.stats.retries++;
        this.log.debug({ where, status, attempt, wait }, 'retrying after server answer');
        await sleep(wait, undefined, { signal: req.signal });
        continue;
      }
      throw await toHttpError(where, status, res);
    }
  }

  /** A JSON API call: returns the parsed body; non-2xx becomes HttpError with the service's code. */
  async json<T>(req: HttpRequest): Promise<T> {
    const res = await this.request(req);
    const text = await res.body.text();
    this.stats.bytesReceived += text.length;
    if (text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HttpError(res.status, `${req.method ?? 'GET'} ${describeUrl(req.url, req.preauthenticated ?? false)}: answer is not JSON`);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function toTarget(url: string): { origin: string; path: string } {
  const u = new URL(url);
  return { origin: u.origin, path: u.pathname + u.search };
}

async function toHttpError(where: string, status: number, res: Dispatcher.ResponseData): Promise<HttpError> {
  let text = '';
  try {
    text = await res.body.text();
  } catch {
    /* body lost: the status is still worth reporting */
  }
  let body: unknown = text;
  let serviceCode: string | undefined;
  let message = text.slice(0, 200);
  try {
    body = JSON.parse(text);
    const b = body as { error?: unknown; error_description?: string; code?: string; message?: string };
    if (b && typeof b.error === 'object' && b.error) {
      const ge = b.error as { code?: string; message?: string };
      serviceCode = ge.code;
      message = ge.message ?? message;
    } else if (typeof b?.error === 'string') {
      serviceCode = b.error;
      message = b.error_description ?? message;
    } else if (typeof b?.code === 'string') {
      serviceCode = b.code;
      message = b.message ?? message;
    }
  } catch {
    /* not JSON: keep the text */
  }
  return new HttpError(status, `${where} → ${status}${serviceCode ? ` ${serviceCode}` : ''}: ${message}`, { serviceCode, body, headers: res.headers });
}
