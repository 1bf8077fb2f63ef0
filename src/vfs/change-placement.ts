import type { RemoteChange, RemoteEntry } from '../drives/types.js';
import { joinPosix } from '../util/posix-path.js';

/** Where a reported item was in the mount before the change, and where it is now (null: not in the mount). */
export interface Placement {
  id: string;
  /** Its mount path as cached, if known. */
  from: string | undefined;
  /** Its mount path now; null when deleted or outside the mounted folder (or under a folder nobody listed). */
  to: string | null;
  entry?: RemoteEntry;
}

/** Nesting deeper than this is taken for a cycle in a broken feed. */
const MAX_DEPTH = 512;

/**
 * Places one round of changes in the mount's tree. The feed names items by id and parent id, in
 * no order and with repeats (the last report of an id wins), so an item's new path is its
 * parent's new path (from this round, or the cache for a parent that did not change) plus its
 * name. Items whose chain of parents does not reach a folder the mount knows are outside it.
 */
export function placeChanges(changes: readonly RemoteChange[], cachedPathOf: (id: string) => string | undefined): Placement[] {
  const latest = new Map<string, RemoteChange>();
  for (const c of changes) {
    const id = c.kind === 'item' ? c.entry.id : c.id;
    latest.delete(id); // re-inserted last: the order of the latest reports
    latest.set(id, c);
  }
  const memo = new Map<string, string | null>();
  const pathNow = (id: string, depth: number): string | null => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const c = latest.get(id);
    let p: string | null;
    if (!c) p = cachedPathOf(id) ?? null;
    else if (c.kind === 'deleted') p = null;
    else if (cachedPathOf(id) === '/') p = '/'; // the mounted folder itself stays the root
    else if (c.parentId === undefined || depth > MAX_DEPTH) p = null;
    else {
      const parent = pathNow(c.parentId, depth + 1);
      p = parent === null ? null : joinPosix(parent, c.entry.name);
    }
    memo.set(id, p);
    return p;
  };
  const out: Placement[] = [];
  for (const [id, c] of latest) {
    out.push({ id, from: cachedPathOf(id), to: pathNow(id, 0), entry: c.kind === 'item' ? c.entry : undefined });
  }
  return out;
}
