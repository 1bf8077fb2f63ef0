// GET {item}/delta: change tracking over a folder backed by a real directory.
//
// The backing folder may be changed behind the emulator's back, so nothing is
// recorded as changes happen: each round walks the tree and compares it with
// the snapshot (id → eTag and path) its token stands for. eTags change with
// content, name and location, so new, changed, renamed, moved and deleted
// items all show up. A round is answered in pages; its snapshot becomes the
// next token once the last page (with the deltaLink) has been handed out.
//
// Strict where the facts are silent (README, "Change tracking"): items come
// in no useful order (children before parents), some twice, without
// parentReference.path or download links; deleted items carry only id and the
// deleted facet; old tokens answer 410 resyncRequired without a Location.

import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { sendJson } from '../common/http.js';
import type { EmulatorContext } from './context.js';
import { GRAPH_JSON, GraphError, invalidRequest } from './errors.js';
import { driveItemJson, etagOf, parseSelect, type DriveView, type Select } from './items.js';
import type { DriveStore, Entry } from './store.js';

/** Snapshots (tokens) kept per drive; an older token answers 410. */
const MAX_SNAPSHOTS = 16;
/** Rounds being paged through at once per drive; an older page link answers 410. */
const MAX_ROUNDS = 16;
const DEFAULT_PAGE = 200;
const MAX_PAGE = 1000;

interface Known {
  etag: string;
  rel: string;
}
type Snapshot = Map<string, Known>;

type Change = { kind: 'item'; entry: Entry } | { kind: 'deleted'; id: string };

interface Round {
  changes: Change[];
  /** The snapshot number the deltaLink hands out. */
  token: number;
  scope: string;
  epoch: number;
}

class DeltaLog {
  private next = 1;
  readonly snapshots = new Map<number, Snapshot>();
  readonly rounds = new Map<string, Round>();

  save(s: Snapshot): number {
    const n = this.next++;
    this.snapshots.set(n, s);
    while (this.snapshots.size > MAX_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value!);
    return n;
  }

  addRound(r: Round): string {
    const id = randomBytes(9).toString('base64url');
    this.rounds.set(id, r);
    while (this.rounds.size > MAX_ROUNDS) this.rounds.delete(this.rounds.keys().next().value!);
    return id;
  }
}

const logs = new WeakMap<DriveStore, DeltaLog>();
function logOf(store: DriveStore): DeltaLog {
  let l = logs.get(store);
  if (!l) logs.set(store, (l = new DeltaLog()));
  return l;
}

interface TokenBody {
  /** snapshot number */
  n: number;
  /** the deltaEpoch it was minted in */
  e: number;
  /** rel path of the folder delta was asked on ('' = root) */
  s: string;
}

const encodeToken = (t: TokenBody): string => Buffer.from(JSON.stringify(t)).toString('base64url');

function decodeToken(raw: string): TokenBody {
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as TokenBody;
    if (typeof t.n === 'number' && typeof t.e === 'number' && typeof t.s === 'string') return t;
  } catch {
    // fall through
  }
  throw invalidRequest('The delta token is not valid.');
}

const resyncRequired = (): GraphError =>
  new GraphError(410, 'resyncRequired', 'The delta token has expired; a full resynchronization is required.');

const under = (rel: string, scope: string): boolean => scope === '' || rel === scope || rel.startsWith(scope + '/');

async function snapshotOf(store: DriveStore, scope: string): Promise<{ snap: Snapshot; entries: Entry[] }> {
  const snap: Snapshot = new Map();
  const entries: Entry[] = [];
  for await (const e of store.walk()) {
    snap.set(e.id, { etag: etagOf(e), rel: e.rel });
    if (under(e.rel, scope)) entries.push(e);
  }
  return { snap, entries };
}

/**
 * GET {folder}/delta[?token=…|$skiptoken=…]. `dir` is the folder asked on; on business and
 * SharePoint drives only the root is allowed.
 */
export async function handleDelta(ctx: EmulatorContext, view: DriveView, dir: Entry, rawPath: string, query: URLSearchParams): Promise<{ status: number; body: Record<string, unknown> }> {
  const store = view.store;
  if (!dir.isDir) throw invalidRequest('Delta is only supported on folders.');
  if (!dir.isRoot && store.driveType !== 'personal') {
    throw new GraphError(400, 'invalidRequest', 'Delta is only supported on the root folder of this drive.', {}, 'notSupported');
  }
  const select = parseSelect(query);
  const top = pageSize(query);
  const log = logOf(store);
  const epoch = ctx.faults.get().deltaEpoch;
  const base = `${ctx.url}${rawPath}`;
  // Links keep the options they were asked with.
  const withSelect = (q: string): string =>
    ['$select', '$top'].reduce((acc, k) => (query.has(k) ? `${acc}&${k}=${encodeURIComponent(query.get(k)!)}` : acc), q);

  let roundId: string;
  let offset = 0;
  const skip = query.get('$skiptoken') ?? query.get('$skipToken');
  const token = query.get('token');
  if (skip !== null) {
    const dot = skip.lastIndexOf('.');
    roundId = skip.slice(0, dot);
    offset = Number(skip.slice(dot + 1));
    if (dot < 0 || !Number.isInteger(offset) || offset < 0) throw invalidRequest('The skip token is not valid.');
    if (log.rounds.get(roundId)?.epoch !== epoch) throw resyncRequired();
  } else if (token === 'latest') {
    const { snap } = await snapshotOf(store, dir.rel);
    const n = log.save(snap);
    const link = `${base}?token=${encodeToken({ n, e: epoch, s: dir.rel })}`;
    return { status: 200, body: { '@odata.context': context(ctx), '@odata.deltaLink': withSelect(link), value: [] } };
  } else {
    let prior: Snapshot = new Map();
    if (token !== null) {
      const t = decodeToken(token);
      if (t.s !== dir.rel) throw invalidRequest('The delta token belongs to another folder.');
      const s = log.snapshots.get(t.n);
      if (!s || t.e !== epoch) throw resyncRequired();
      prior = s;
    }
    const { snap, entries } = await snapshotOf(store, dir.rel);
    const changes: Change[] = [];
    for (const e of entries) {
      const was = prior.get(e.id);
      if (!was || was.etag !== etagOf(e)) changes.push({ kind: 'item', entry: e });
    }
    for (const [id, was] of prior) if (!snap.has(id) && under(was.rel, dir.rel)) changes.push({ kind: 'deleted', id });
    // No order to rely on: deepest first (children before their folders), and every
    // third change repeated at the end.
    changes.reverse();
    const n = changes.length;
    for (let i = 2; i < n; i += 3) changes.push(changes[i]);
    roundId = log.addRound({ changes, token: log.save(snap), scope: dir.rel, epoch });
  }

  const round = log.rounds.get(roundId)!;
  const page = round.changes.slice(offset, offset + top);
  const value = await Promise.all(page.map((c) => changeJson(ctx, view, c, select)));
  const body: Record<string, unknown> = { '@odata.context': context(ctx) };
  const end = offset + page.length;
  if (end < round.changes.length) {
    body['@odata.nextLink'] = withSelect(`${base}?$skiptoken=${roundId}.${end}`);
  } else {
    log.rounds.delete(roundId);
    body['@odata.deltaLink'] = withSelect(`${base}?token=${encodeToken({ n: round.token, e: epoch, s: round.scope })}`);
  }
  body.value = value;
  return { status: 200, body };
}

export async function sendDelta(ctx: EmulatorContext, view: DriveView, dir: Entry, rawPath: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const { status, body } = await handleDelta(ctx, view, dir, rawPath, query);
  sendJson(res, status, body, {}, GRAPH_JSON);
}

const context = (ctx: EmulatorContext): string => `${ctx.url}/v1.0/$metadata#Collection(driveItem)`;

function pageSize(query: URLSearchParams): number {
  const raw = query.get('$top');
  if (raw === null) return DEFAULT_PAGE;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw invalidRequest(`Invalid value '${raw}' for $top.`);
  return Math.min(MAX_PAGE, Number(raw));
}

async function changeJson(ctx: EmulatorContext, view: DriveView, c: Change, select: Select): Promise<Record<string, unknown>> {
  const store = view.store;
  if (c.kind === 'deleted') {
    return { id: c.id, deleted: { state: 'deleted' }, parentReference: { driveId: store.driveId, driveType: store.driveType } };
  }
  // The item may have gone since the round was computed: then it is reported as it was.
  const e = (await store.entryAt(c.entry.rel)) ?? c.entry;
  const parent = e.isRoot ? null : await store.parentOf(e);
  const out = await driveItemJson(ctx, view, e.id === c.entry.id ? e : c.entry, parent, select);
  delete out['@microsoft.graph.downloadUrl'];
  const ref = out.parentReference as Record<string, unknown> | undefined;
  if (ref) delete ref.path;
  return out;
}
