// Graph write operations other than upload sessions: simple upload
// (PUT .../content), mkdir (POST .../children), rename / move / set times
// (PATCH), DELETE, and the dispatcher that routes them (and
// createUploadSession / copy) for graph.ts.

import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

import { BodyTooLargeError, sendEmpty } from '../common/http.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';
import { GraphError, invalidRequest, nameAlreadyExists, notFound } from './errors.js';
import { type GraphRequest, type GraphWriteHandler, requireItem, sendItem } from './graph.js';
import { checkName, checkPathLength, parseConflictBehavior, uniqueName } from './names.js';
import { type Entry, joinRel } from './store.js';
import { applyTimes, checkIfMatch, commitStaged, ensureQuota, parseTimes, readObject, resolveUploadTarget } from './writes.js';

/** Current docs allow simple uploads up to 250 MB. */
export const MAX_SIMPLE_UPLOAD = 250 * 1000 * 1000;
const CONFLICT = '@microsoft.graph.conflictBehavior';

export const graphWrites: GraphWriteHandler = async (g) => {
  const { stats } = g.ctx;
  const { action, item } = g.target;
  switch (`${g.req.method} ${action}`) {
    case 'PUT content':
      stats.inc('simpleUpload');
      await simpleUpload(g);
      return true;
    case 'POST createUploadSession':
      stats.inc('uploadSession');
      await g.ctx.uploads.create(g);
      return true;
    case 'POST children':
      stats.inc('mkdir');
      await createFolder(g);
      return true;
    case 'POST copy':
      stats.inc('copy');
      await g.ctx.copies.start(g);
      return true;
    case 'PATCH ':
      if (!item) return false;
      stats.inc('patch');
      await patchItem(g);
      return true;
    case 'DELETE ':
      if (!item) return false;
      stats.inc('delete');
      await deleteItem(g);
      return true;
    default:
      return false;
  }
};

async function simpleUpload(g: GraphRequest): Promise<void> {
  const { ctx, req, view } = g;
  const store = view.store;
  const target = await resolveUploadTarget(g);
  // A simple upload replaces by default.
  const conflict = target.byId ? 'replace' : parseConflictBehavior(g.query.get(CONFLICT), 'replace');
  if (target.existing) {
    checkIfMatch(req, target.existing);
    if (conflict === 'fail') throw nameAlreadyExists(target.name);
  }
  const replacedSize = conflict === 'replace' && target.existing && !target.existing.isDir ? target.existing.stat.size : 0;
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > MAX_SIMPLE_UPLOAD) {
    throw new GraphError(413, 'invalidRequest', 'Simple uploads are limited to 250 MB; use an upload session.');
  }
  if (declared !== undefined) await ensureQuota(ctx, store, declared - replacedSize);

  const staged = await store.staging.newPath();
  try {
    const hasher = new QuickXorHash();
    const size = await receiveBody(req, staged, hasher);
    await ensureQuota(ctx, store, size - replacedSize);
    const done = await commitStaged(ctx, {
      store,
      parentId: target.parent.id,
      name: target.name,
      conflict,
      staged,
      hash: hasher.digestBase64(),
    });
    await sendItem(ctx, g.res, view, done.entry, done.created ? 201 : 200);
  } finally {
    await rm(staged, { force: true }).catch(() => undefined);
  }
}

/** Streams the request body to `dest`, hashing it; returns its size. */
async function receiveBody(req: IncomingMessage, dest: string, hasher: QuickXorHash): Promise<number> {
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > MAX_SIMPLE_UPLOAD) return cb(new BodyTooLargeError('Simple uploads are limited to 250 MB.'));
      hasher.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(req, tap, createWriteStream(dest, { highWaterMark: 1 << 20 }));
  return size;
}

/** POST {parent}/children {"name", "folder": {}, "@microsoft.graph.conflictBehavior"} */
async function createFolder(g: GraphRequest): Promise<void> {
  const { ctx, view } = g;
  const store = view.store;
  const body = await readObject(g.req);
  const parent = await requireItem(g);
  if (!parent.isDir) throw invalidRequest('Items can only be created in a folder.');
  if (typeof body.name !== 'string') throw invalidRequest('The property "name" is required.');
  if (typeof body.folder !== 'object' || body.folder === null) {
    throw invalidRequest('Only folders can be created this way (a "folder" facet is required).');
  }
  const conflict = parseConflictBehavior(body[CONFLICT] ?? g.query.get(CONFLICT), 'fail');
  const times = parseTimes(body.fileSystemInfo);
  checkName(body.name);
  const made = await store.lock.run(async () => {
    const here = await store.resolveId(parent.id);
    if (!here || !here.isDir) throw notFound();
    let name = body.name as string;
    const actual = await store.findChildName(here, name);
    if (actual !== null) {
      if (conflict === 'fail') throw nameAlreadyExists(name);
      if (conflict === 'rename') name = uniqueName(name, await store.childNames(here));
      else await rm(store.absOf(joinRel(here.rel, actual)), { recursive: true, force: true });
    }
    const rel = joinRel(here.rel, name);
    checkPathLength(rel);
    await mkdir(store.absOf(rel));
    await applyTimes(store, store.absOf(rel), times);
    store.invalidateUsage();
    return store.entryAt(rel);
  });
  if (!made) throw new Error('created folder vanished');
  await sendItem(ctx, g.res, view, made, 201);
}

/**
 * PATCH {item}: rename, move (parentReference), fileSystemInfo times.
 * As on the service: conflictBehavior is read from the URL only (a body annotation is ignored),
 * default `fail`; `replace` is ignored while `ignoreReplaceOnMove` is 1 and never replaces a
 * folder (nor puts a folder over a file); a move or rename without
 * fileSystemInfo.lastModifiedDateTime resets the item's modification time to now.
 */
async function patchItem(g: GraphRequest): Promise<void> {
  const { ctx, view } = g;
  const store = view.store;
  const body = await readObject(g.req);
  const e = await requireItem(g);
  if (e.isRoot) throw invalidRequest('The root folder cannot be renamed or moved.');
  checkIfMatch(g.req, e);
  const conflict = parseConflictBehavior(g.query.get(CONFLICT), 'fail');
  const times = parseTimes(body.fileSystemInfo);
  if (body.name !== undefined && typeof body.name !== 'string') throw invalidRequest('name must be a string.');
  const newParent = body.parentReference === undefined ? null : await resolveParentReference(g, body.parentReference, e);
  const moves = typeof body.name === 'string' || newParent !== null;
  if (moves && ctx.counters.failMove.hit()) {
    ctx.stats.inc('moveFailed');
    throw new GraphError(500, 'generalException', 'An unspecified error has occurred.');
  }

  let rel = e.rel;
  if (moves) {
    const name = typeof body.name === 'string' ? body.name : e.name;
    if (name !== e.name) checkName(name);
    const replaceAllowed = conflict === 'replace' && ctx.faults.get().ignoreReplaceOnMove === 0;
    rel = await store.lock.run(async () => {
      const cur = await store.resolveId(e.id);
      if (!cur) throw notFound();
      const dest = newParent ? await store.resolveId(newParent.id) : await store.parentOf(cur);
      if (!dest || !dest.isDir) throw notFound('The destination folder could not be found.');
      let finalName = name;
      const actual = await store.findChildName(dest, name);
      if (actual !== null && joinRel(dest.rel, actual) !== cur.rel) {
        if (conflict === 'rename') {
          finalName = uniqueName(name, await store.childNames(dest));
        } else {
          const taken = await store.entryAt(joinRel(dest.rel, actual));
          if (!replaceAllowed || cur.isDir || !taken || taken.isDir) throw nameAlreadyExists(name);
          await rm(taken.abs, { force: true });
        }
      }
      const target = joinRel(dest.rel, finalName);
      checkPathLength(target);
      if (target !== cur.rel) await rename(cur.abs, store.absOf(target));
      return target;
    });
  }
  await applyTimes(store, store.absOf(rel), moves && times.modifiedMs === undefined ? { ...times, modifiedMs: Date.now() } : times);
  const updated = await store.entryAt(rel);
  if (!updated) throw notFound();
  await sendItem(ctx, g.res, view, updated, 200);
}

/** parentReference {id} or {path: "/drive/root:/a/b"} of a PATCH, validated. */
async function resolveParentReference(g: GraphRequest, ref: unknown, moving: Entry): Promise<Entry> {
  const store = g.view.store;
  if (typeof ref !== 'object' || ref === null) throw invalidRequest('parentReference must be an object.');
  const r = ref as Record<string, unknown>;
  if (r.driveId !== undefined && r.driveId !== store.driveId) {
    throw invalidRequest('Items cannot be moved between drives; copy them instead.');
  }
  let parent: Entry | null;
  if (typeof r.id === 'string') {
    parent = r.id.toLowerCase() === 'root' ? await store.rootEntry() : await store.resolveId(r.id);
  } else if (typeof r.path === 'string') {
    const i = r.path.indexOf('root:');
    if (i < 0) throw invalidRequest(`Invalid parentReference.path '${r.path}'.`);
    let segments: string[];
    try {
      segments = r.path.slice(i + 5).split('/').filter((s) => s !== '').map(decodeURIComponent);
    } catch {
      throw invalidRequest(`Invalid parentReference.path '${r.path}'.`);
    }
    parent = await store.resolvePath(segments);
  } else {
    throw invalidRequest('parentReference needs an id or a path.');
  }
  if (!parent) throw notFound('The destination folder could not be found.');
  if (!parent.isDir) throw invalidRequest('The destination is not a folder.');
  if (moving.isDir && (parent.rel === moving.rel || parent.rel.startsWith(`${moving.rel}/`))) {
    throw invalidRequest('A folder cannot be moved into itself.');
  }
  return parent;
}

/** DELETE {item}: 204; folders go with everything in them. */
async function deleteItem(g: GraphRequest): Promise<void> {
  const store = g.view.store;
  const e = await requireItem(g);
  if (e.isRoot) throw new GraphError(403, 'accessDenied', 'The root folder cannot be deleted.');
  checkIfMatch(g.req, e);
  await store.lock.run(async () => {
    await rm(e.abs, { recursive: true, force: true });
    store.invalidateUsage();
  });
  sendEmpty(g.res, 204);
}
