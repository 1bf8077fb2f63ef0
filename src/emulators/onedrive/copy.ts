// POST {item}/copy: asynchronous on the service, so it answers 202 with a
// Location "monitor" URL (no auth needed) that reports
// {status, percentageComplete, resourceId}. The copy is assembled in the
// staging area and renamed into place, so a half-done copy is never listed.

import { randomBytes } from 'node:crypto';
import { cp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendEmpty, sendJson } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { GraphError, GRAPH_JSON, invalidRequest, methodNotAllowed, notFound } from './errors.js';
import { type GraphRequest, requireItem } from './graph.js';
import { checkName, checkPathLength, parseConflictBehavior } from './names.js';
import { type DriveStore, type Entry, joinRel } from './store.js';
import { commitStaged, ensureQuota, readObject } from './writes.js';

export const MONITOR_PREFIX = '/_monitor/';

interface CopyOperation {
  status: 'inProgress' | 'completed' | 'failed';
  resourceId?: string;
  error?: { code: string; message: string };
}

export class CopyMonitor {
  private readonly ops = new Map<string, CopyOperation>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly ctx: EmulatorContext) {}

  async start(g: GraphRequest): Promise<void> {
    const body = await readObject(g.req);
    const src = await requireItem(g);
    if (src.isRoot) throw invalidRequest('The root folder cannot be copied.');
    const conflict = parseConflictBehavior(body['@microsoft.graph.conflictBehavior'] ?? g.query.get('@microsoft.graph.conflictBehavior'), 'fail');
    const ref = (body.parentReference ?? {}) as Record<string, unknown>;
    if (typeof ref !== 'object' || ref === null) throw invalidRequest('parentReference must be an object.');
    let dest: DriveStore = g.view.store;
    if (typeof ref.driveId === 'string') {
      const d = this.ctx.drivesById.get(ref.driveId);
      if (!d) throw notFound('The destination drive could not be found.');
      dest = d;
    }
    let parent: Entry | null;
    if (typeof ref.id === 'string') parent = ref.id.toLowerCase() === 'root' ? await dest.rootEntry() : await dest.resolveId(ref.id);
    else if (dest === g.view.store) parent = await dest.parentOf(src);
    else throw invalidRequest('parentReference.id is required to copy to another drive.');
    if (!parent) throw notFound('The destination folder could not be found.');
    if (!parent.isDir) throw invalidRequest('The destination is not a folder.');
    if (dest === g.view.store && src.isDir && (parent.rel === src.rel || parent.rel.startsWith(`${src.rel}/`))) {
      throw invalidRequest('A folder cannot be copied into itself.');
    }
    const name = typeof body.name === 'string' ? body.name : src.name;
    checkName(name);
    checkPathLength(joinRel(parent.rel, name));
    await ensureQuota(this.ctx, dest, src.isDir ? await g.view.store.folderSize(src, 0) : src.stat.size);

    const id = randomBytes(24).toString('base64url');
    const op: CopyOperation = { status: 'inProgress' };
    this.ops.set(id, op);
    const parentId = parent.id;
    const job = (async () => {
      const staged = await dest.staging.newPath();
      try {
        await cp(src.abs, staged, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
        const done = await commitStaged(this.ctx, { store: dest, parentId, name, conflict, staged });
        op.status = 'completed';
        op.resourceId = done.entry.id;
      } catch (e) {
        op.status = 'failed';
        op.error = e instanceof GraphError ? { code: e.code, message: e.message } : { code: 'generalException', message: String(e) };
      } finally {
        await rm(staged, { recursive: true, force: true }).catch(() => undefined);
      }
    })();
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
    sendEmpty(g.res, 202, { Location: `${this.ctx.url}${MONITOR_PREFIX}${id}` });
  }

  /** GET on a monitor URL. */
  handle(req: IncomingMessage, res: ServerResponse, id: string): void {
    this.ctx.stats.inc('copyMonitor');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method);
    const op = this.ops.get(id);
    if (!op) throw notFound('The copy operation was not found.');
    const body: Record<string, unknown> = {
      operation: 'ItemCopy',
      percentageComplete: op.status === 'inProgress' ? 0 : 100,
      status: op.status,
    };
    if (op.resourceId) body.resourceId = op.resourceId;
    if (op.error) body.error = op.error;
    sendJson(res, op.status === 'inProgress' ? 202 : 200, body, {}, GRAPH_JSON);
  }

  /** Waits for copies in progress (so close() does not race their files). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
