// Resumable upload sessions: POST .../createUploadSession, then PUT byte
// ranges to the returned uploadUrl (pre-authenticated, like the real
// service's upload host), GET it for status, DELETE it to cancel.
//
// The service's rules are enforced exactly, because a driver that breaks them
// fails in production in ways that are hard to diagnose:
// - fragments arrive in order; a fragment not starting where the previous one
//   ended is refused with 416 (re-sent bytes or a gap — resume from GET status);
// - every fragment but the last is a multiple of 320 KiB, each under 60 MiB;
// - an idle session expires (each accepted fragment extends it) → 404;
// - the file only appears in the drive when the last byte has arrived;
//   partial data lives in a staging area outside the backing folder.

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { discardBody, sendEmpty, sendJson } from '../common/http.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';
import type { EmulatorContext } from './context.js';
import { GRAPH_JSON, GraphError, invalidRequest, methodNotAllowed, notFound } from './errors.js';
import { type GraphRequest, sendItem } from './graph.js';
import { type ConflictBehavior, parseConflictBehavior } from './names.js';
import type { DriveStore } from './store.js';
import { commitStaged, ensureQuota, MAX_FILE_BYTES, parseTimes, readObject, resolveUploadTarget, type Times } from './writes.js';

export const UPLOAD_PREFIX = '/_up/';
export const FRAGMENT_MULTIPLE = 320 * 1024;
export const MAX_FRAGMENT_BYTES = 60 * 1024 * 1024;

interface Session {
  id: string;
  store: DriveStore;
  /** How the drive was addressed when the session was created (for the final driveItem). */
  pathPrefix: string;
  parentId: string;
  name: string;
  conflict: ConflictBehavior;
  times: Times;
  staged: string;
  fh: FileHandle | null;
  /** Declared by the first fragment's Content-Range. */
  total: number | null;
  received: number;
  hasher: QuickXorHash;
  expiresAt: number;
  /** Last accepted fragment (or creation): idle time counts against the ttl in force now. */
  lastActive: number;
  busy: boolean;
}

export class UploadManager {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;
  private failures = 0;

  constructor(private readonly ctx: EmulatorContext) {
    // Often enough that a session idle past a lowered ttl is gone for good (not revived by raising it again).
    this.sweeper = setInterval(() => void this.sweep(), 500);
    this.sweeper.unref();
  }

  /** POST {item}/createUploadSession */
  async create(g: GraphRequest): Promise<void> {
    const body = await readObject(g.req);
    const item = (body.item ?? {}) as Record<string, unknown>;
    if (typeof item !== 'object' || item === null) throw invalidRequest('item must be an object.');
    const target = await resolveUploadTarget(g);
    const conflict = target.byId
      ? 'replace'
      : parseConflictBehavior(item['@microsoft.graph.conflictBehavior'] ?? g.query.get('@microsoft.graph.conflictBehavior'), 'fail');
    const store = g.view.store;
    const session: Session = {
      id: randomBytes(36).toString('base64url'),
      store,
      pathPrefix: g.view.pathPrefix,
      parentId: target.parent.id,
      name: target.name,
      conflict,
      times: parseTimes(item.fileSystemInfo),
      staged: await store.staging.newPath(),
      fh: null,
      total: null,
      received: 0,
      hasher: new QuickXorHash(),
      expiresAt: Date.now() + this.ttlMs(),
      lastActive: Date.now(),
      busy: false,
    };
    this.sessions.set(session.id, session);
    sendJson(
      g.res,
      200,
      {
        '@odata.context': `${this.ctx.url}/v1.0/$metadata#microsoft.graph.uploadSession`,
        uploadUrl: `${this.ctx.url}${UPLOAD_PREFIX}${session.id}`,
        expirationDateTime: new Date(session.expiresAt).toISOString(),
        nextExpectedRanges: ['0-'],
      },
      {},
      GRAPH_JSON,
    );
  }

  /** PUT / GET / DELETE on an upload URL. */
  async handle(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const { stats } = this.ctx;
    if (req.headers.authorization !== undefined) stats.inc('uploadWithAuthorization');
    if (req.method === 'PUT') stats.inc('upload');
    else if (req.method === 'GET') stats.inc('uploadStatus');
    else if (req.method === 'DELETE') stats.inc('uploadCancel');
    else throw methodNotAllowed(req.method);

    const s = await this.live(id);
    if (req.method === 'GET') return sendJson(res, 200, this.status(s), {}, GRAPH_JSON);
    if (req.method === 'DELETE') {
      if (s.busy) throw new GraphError(409, 'invalidRequest', 'A fragment is being uploaded to this session.');
      await this.drop(s);
      return sendEmpty(res, 204);
    }
    return this.fragment(req, res, s);
  }

  private async fragment(req: IncomingMessage, res: ServerResponse, s: Session): Promise<void> {
    const { stats, counters } = this.ctx;
    if (s.busy) throw new GraphError(416, 'invalidRange', 'Another fragment is being received for this session.');
    const range = parseContentRange(req.headers['content-range']);
    const lengthHeader = req.headers['content-length'];
    if (lengthHeader === undefined) throw new GraphError(411, 'invalidRequest', 'Content-Length is required.');
    const length = Number(lengthHeader);
    if (range.end - range.start + 1 !== length) {
      throw invalidRequest(`Content-Range covers ${range.end - range.start + 1} bytes but Content-Length is ${length}.`);
    }
    if (range.total > MAX_FILE_BYTES) throw invalidRequest('The file is larger than the maximum file size (250 GB).');
    if (range.end >= range.total) throw invalidRequest('Content-Range ends beyond the declared total size.');
    if (s.total !== null && range.total !== s.total) {
      throw invalidRequest(`The declared total size changed from ${s.total} to ${range.total}.`);
    }
    if (range.start !== s.received) {
      throw new GraphError(
        416,
        'invalidRange',
        range.start < s.received
          ? `The fragment overlaps bytes already received; the next expected byte is ${s.received}.`
          : `Fragments must be uploaded in order; the next expected byte is ${s.received}.`,
      );
    }
    if (length >= MAX_FRAGMENT_BYTES) throw invalidRequest('Fragments must be smaller than 60 MiB.');
    const last = range.end + 1 === range.total;
    if (!last && length % FRAGMENT_MULTIPLE !== 0) {
      throw invalidRequest('Every fragment except the last must be a multiple of 320 KiB (327,680 bytes).');
    }
    if (s.received === 0) await ensureQuota(this.ctx, s.store, range.total - (await this.replacedSize(s)));

    if (counters.failFragment.hit()) {
      // The service failed after receiving the bytes: nothing is kept.
      await discardBody(req);
      stats.inc('fragmentFailed');
      const unavailable = this.failures++ % 2 === 1;
      throw unavailable
        ? new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable.', {
            'Retry-After': String(this.ctx.faults.get().retryAfterSec),
          })
        : new GraphError(500, 'generalException', 'An unspecified error has occurred.');
    }
    const cutAfter = counters.cutFragment.hit() ? Math.floor(length / 2) : undefined;
    const socket = req.socket; // captured: req detaches from it once destroyed

    s.busy = true;
    let outcome: 'ok' | 'cut' | 'short';
    let hasher: QuickXorHash | null = null;
    try {
      const fh = (s.fh ??= await open(s.staged, 'w+'));
      ({ outcome, hasher } = await receive(req, fh, s.received, length, s.hasher.clone(), cutAfter));
      // Keep nothing of a broken fragment (the session may be gone if closing).
      if (outcome !== 'ok') await fh.truncate(s.received).catch(() => undefined);
    } finally {
      s.busy = false;
    }
    if (outcome === 'cut') {
      stats.inc('fragmentCut');
      socket.destroy();
      return;
    }
    if (outcome === 'short') {
      if (!res.headersSent && !socket.destroyed) throw invalidRequest('The request body is shorter than Content-Length.');
      return;
    }
    s.received += length;
    s.total = range.total;
    s.hasher = hasher!;
    s.expiresAt = Date.now() + this.ttlMs();
    s.lastActive = Date.now();
    stats.inc('uploadBytes', length);
    if (!last) return sendJson(res, 202, this.status(s), {}, GRAPH_JSON);
    await this.commit(res, s);
  }

  private async commit(res: ServerResponse, s: Session): Promise<void> {
    try {
      await s.fh?.close();
      s.fh = null;
      await ensureQuota(this.ctx, s.store, s.received - (await this.replacedSize(s)));
      const done = await commitStaged(this.ctx, {
        store: s.store,
        parentId: s.parentId,
        name: s.name,
        conflict: s.conflict,
        staged: s.staged,
        times: s.times,
        hash: s.hasher.digestBase64(),
      });
      this.sessions.delete(s.id);
      await sendItem(this.ctx, res, { store: s.store, pathPrefix: s.pathPrefix }, done.entry, done.created ? 201 : 200);
    } catch (e) {
      // A refused commit (409 nameAlreadyExists, 507, ...) ends the session.
      await this.drop(s);
      throw e;
    }
  }

  private status(s: Session): Record<string, unknown> {
    return { expirationDateTime: new Date(s.expiresAt).toISOString(), nextExpectedRanges: [`${s.received}-`] };
  }

  /** Bytes freed by the commit (the file being replaced), for quota checks. */
  private async replacedSize(s: Session): Promise<number> {
    if (s.conflict !== 'replace') return 0;
    const parent = await s.store.resolveId(s.parentId);
    if (!parent) return 0;
    const actual = await s.store.findChildName(parent, s.name);
    if (actual === null) return 0;
    const e = await s.store.entryAt(parent.rel === '' ? actual : `${parent.rel}/${actual}`);
    return e && !e.isDir ? e.stat.size : 0;
  }

  private ttlMs(): number {
    return this.ctx.faults.get().uploadSessionTtlSec * 1000;
  }

  /** The session, unless unknown or expired (expired ones are cleaned up). */
  private async live(id: string): Promise<Session> {
    const s = this.sessions.get(id);
    if (!s) throw notFound('The upload session was not found.');
    if ((Date.now() >= s.expiresAt || Date.now() - s.lastActive >= this.ttlMs()) && !s.busy) {
      await this.drop(s);
      throw notFound('The upload session has expired.');
    }
    return s;
  }

  private async drop(s: Session): Promise<void> {
    this.sessions.delete(s.id);
    await s.fh?.close().catch(() => undefined);
    s.fh = null;
    await rm(s.staged, { force: true }).catch(() => undefined);
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const s of [...this.sessions.values()]) if ((now >= s.expiresAt || now - s.lastActive >= this.ttlMs()) && !s.busy) await this.drop(s);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const s of [...this.sessions.values()]) await this.drop(s);
  }
}

function parseContentRange(header: string | undefined): { start: number; end: number; total: number } {
  const m = header === undefined ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(header);
  if (!m) throw invalidRequest(`Missing or invalid Content-Range header '${header ?? ''}' (expected 'bytes a-b/total').`);
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (end < start) throw invalidRequest('Content-Range end is before its start.');
  return { start, end, total };
}

/**
 * Writes a fragment's body at `offset`, hashing into `hasher` (a copy of the
 * session's state, adopted only if the whole fragment arrives).
 */
async function receive(
  req: IncomingMessage,
  fh: FileHandle,
  offset: number,
  length: number,
  hasher: QuickXorHash,
  cutAfter: number | undefined,
): Promise<{ outcome: 'ok' | 'cut' | 'short'; hasher: QuickXorHash }> {
  let got = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (cutAfter !== undefined && got + chunk.length >= cutAfter) return { outcome: 'cut', hasher };
      await fh.write(chunk, 0, chunk.length, offset + got);
      hasher.update(chunk);
      got += chunk.length;
    }
  } catch {
    return { outcome: 'short', hasher }; // client went away mid-fragment
  }
  return { outcome: got === length ? 'ok' : 'short', hasher };
}
