// Building blocks shared by the write operations (simple upload, upload
// sessions, mkdir, PATCH, copy): resolving "parent + new name" targets,
// committing staged files into place under the drive lock with Graph's
// conflict behaviours, quota checks, fileSystemInfo times and If-Match.

import { lstat, readdir, rm, utimes } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';

import { readJson } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { GraphError, invalidRequest, nameAlreadyExists, notFound } from './errors.js';
import { type GraphRequest, resolveItem } from './graph.js';
import { ctagOf, etagOf } from './items.js';
import { checkName, checkPathLength, type ConflictBehavior, uniqueName } from './names.js';
import { moveInto } from './staging.js';
import { type DriveStore, type Entry, joinRel } from './store.js';

export const MAX_FILE_BYTES = 250 * 1000 ** 3; // 250 GB
const GIB = 1024 ** 3;

export interface Times {
  createdMs?: number;
  modifiedMs?: number;
}

/** Reads an optional JSON object body (an empty body gives {}). */
export async function readObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  let v: unknown;
  try {
    v = await readJson(req);
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidRequest('The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

function parseTime(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw invalidRequest(`Invalid value for fileSystemInfo.${field}.`);
  return ms;
}

/** fileSystemInfo { createdDateTime, lastModifiedDateTime } from a request body. */
export function parseTimes(fsi: unknown): Times {
  if (fsi === undefined || fsi === null) return {};
  if (typeof fsi !== 'object') throw invalidRequest('fileSystemInfo must be an object.');
  const o = fsi as Record<string, unknown>;
  return { createdMs: parseTime(o.createdDateTime, 'createdDateTime'), modifiedMs: parseTime(o.lastModifiedDateTime, 'lastModifiedDateTime') };
}

/** Applies client-supplied times to the item at `abs` (birth time is kept in memory). */
export async function applyTimes(store: DriveStore, abs: string, times: Times): Promise<void> {
  if (times.modifiedMs !== undefined) {
    const st = await lstat(abs);
    await utimes(abs, st.atime, new Date(times.modifiedMs));
  }
  if (times.createdMs !== undefined) store.setCreated(await lstat(abs), times.createdMs);
}

/** 412 when If-Match names neither the current eTag nor cTag. */
export function checkIfMatch(req: IncomingMessage, e: Entry): void {
  const want = req.headers['if-match'];
  if (want === undefined || want.trim() === '*') return;
  const norm = (s: string): string => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  const tags = [etagOf(e), ctagOf(e)].map(norm);
  // Graph eTags contain commas ("{GUID},3"), so split the list on quoted tags.
  const listed = want.match(/(?:W\/)?"[^"]*"|[^,\s]+/g) ?? [];
  if (!listed.some((w) => tags.includes(norm(w)))) {
    throw new GraphError(412, 'resourceModified', 'The provided eTag does not match the current eTag of the item.');
  }
}

/** 507 unless `extraBytes` more fit in the drive's quota. */
export async function ensureQuota(ctx: EmulatorContext, store: DriveStore, extraBytes: number): Promise<void> {
  if (extraBytes <= 0) return;
  const total = ctx.faults.get().quotaTotal;
  // A slightly stale figure is fine far from the limit; near it, recount.
  let used = await store.usedBytes(1000);
  if (total - used - extraBytes < GIB) used = await store.usedBytes(0);
  if (used + extraBytes > total) {
    ctx.stats.inc('quotaExceeded');
    throw new GraphError(507, 'quotaLimitReached', 'Insufficient Space Available');
  }
}

export interface UploadTarget {
  parent: Entry;
  name: string;
  /** The item currently at that name (any case), if any. */
  existing: Entry | null;
  /** Addressed as /items/{id} of an existing file: its content is replaced. */
  byId: boolean;
}

/** Where PUT .../content or createUploadSession will put the file. */
export async function resolveUploadTarget(g: GraphRequest): Promise<UploadTarget> {
  const ref = g.target.item;
  if (!ref) throw invalidRequest('An item is required.');
  const store = g.view.store;
  if (ref.path.length === 0) {
    const e = await resolveItem(g.view, ref);
    if (!e) throw notFound();
    if (e.isDir) throw invalidRequest('Content can only be uploaded to a file, not a folder.');
    const parent = await store.parentOf(e);
    if (!parent) throw notFound();
    return { parent, name: e.name, existing: e, byId: true };
  }
  const name = ref.path[ref.path.length - 1];
  const parent = await resolveItem(g.view, { ...ref, path: ref.path.slice(0, -1) });
  // Graph does not create missing parent folders for us.
  if (!parent) throw notFound('The parent folder could not be found.');
  if (!parent.isDir) throw invalidRequest('The parent item is not a folder.');
  checkName(name);
  checkPathLength(joinRel(parent.rel, name));
  const actual = await store.findChildName(parent, name);
  const existing = actual === null ? null : await store.entryAt(joinRel(parent.rel, actual));
  return { parent, name, existing, byId: false };
}

export interface CommitOptions {
  store: DriveStore;
  /** Id of the destination folder (re-resolved under the lock). */
  parentId: string;
  name: string;
  conflict: ConflictBehavior;
  /** Staged file or folder to move into place. */
  staged: string;
  times?: Times;
  /** quickXorHash of a staged file, to prime the cache. */
  hash?: string;
}

export interface Committed {
  entry: Entry;
  /** false when an existing file was replaced (answer 200, not 201). */
  created: boolean;
}

/**
 * Moves a staged item into `parentId/name`, applying the conflict behaviour
 * atomically with respect to other writers of the same drive.
 */
export async function commitStaged(ctx: EmulatorContext, o: CommitOptions): Promise<Committed> {
  const { store } = o;
  return store.lock.run(async () => {
    const parent = await store.resolveId(o.parentId);
    if (!parent || !parent.isDir) throw notFound('The parent folder no longer exists.');
    let name = o.name;
    let replacedId: string | undefined;
    const actual = await store.findChildName(parent, name);
    if (actual !== null) {
      const existing = await store.entryAt(joinRel(parent.rel, actual));
      if (o.conflict === 'fail') throw nameAlreadyExists(name);
      if (o.conflict === 'rename') {
        name = uniqueName(name, await readdir(parent.abs));
      } else if (existing) {
        const stagedIsDir = (await lstat(o.staged)).isDirectory();
        if (existing.isDir !== stagedIsDir) throw nameAlreadyExists(name);
        // Replacing a file keeps the item (and its id); the on-disk name keeps
        // its existing case, as the item itself is not renamed.
        if (!existing.isDir) replacedId = existing.id;
        name = actual;
        // rename() replaces a file atomically; a folder must go first.
        if (existing.isDir) await rm(existing.abs, { recursive: true, force: true });
      }
    }
    const rel = joinRel(parent.rel, name);
    checkPathLength(rel);
    if (o.times) await applyTimes(store, o.staged, { modifiedMs: o.times.modifiedMs });
    await moveInto(o.staged, store.absOf(rel));
    const st = await lstat(store.absOf(rel));
    if (replacedId) store.keepId(st, replacedId);
    if (o.times?.createdMs !== undefined) store.setCreated(st, o.times.createdMs);
    if (o.hash !== undefined && st.isFile()) ctx.hashes.prime(st, o.hash);
    store.invalidateUsage();
    const entry = await store.entryAt(rel);
    if (!entry) throw new Error(`committed item vanished: ${rel}`);
    return { entry, created: replacedId === undefined };
  });
}
