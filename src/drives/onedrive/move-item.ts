import { randomBytes } from 'node:crypto';

import type { Logger } from '../../util/log.js';
import type { RemoteEntry } from '../types.js';
import type { GraphApi } from './graph-api.js';
import { graphError } from './graph-errors.js';
import { toRemoteEntry, type DriveItem } from './drive-items.js';

export interface MoveDeps {
  api: GraphApi;
  log: Logger;
  /** `/me/drive`, `/drives/{id}` or `/sites/{id}/drive`. */
  base: string;
}

export interface MoveTarget {
  /** The new name. */
  name: string;
  /** The destination folder's id, when the item changes folder. */
  parentId?: string;
  /** Mount paths, for messages. */
  from: string;
  to: string;
}

/**
 * The name a replaced item is parked under while the source takes its place: hidden, in the same
 * folder, short (so it fits wherever the original did), and made only of characters every
 * OneDrive/SharePoint drive accepts.
 */
export function asideName(): string {
  return `.dm-replaced-${randomBytes(4).toString('hex')}`;
}

/**
 * The times a move PATCH must carry: Graph resets `lastModifiedDateTime` on a move or rename
 * unless the same PATCH sends `fileSystemInfo` (docs/services/onedrive.md, "Rename and move").
 */
function fileSystemInfo(entry: RemoteEntry): Record<string, string> | undefined {
  const fsi: Record<string, string> = {};
  if (entry.mtimeMs > 0) fsi.lastModifiedDateTime = new Date(entry.mtimeMs).toISOString();
  if (entry.birthtimeMs > 0) fsi.createdDateTime = new Date(entry.birthtimeMs).toISOString();
  return Object.keys(fsi).length > 0 ? fsi : undefined;
}

/**
 * One PATCH moving/renaming `entry`, keeping its times. It sends no conflictBehavior: the
 * default, `fail`, is the only one every drive honours (409 → EEXIST). Throws a DriveError.
 */
async function patchMove(d: MoveDeps, entry: RemoteEntry, name: string, parentId: string | undefined, what: string): Promise<RemoteEntry> {
  const body: Record<string, unknown> = { name };
  if (parentId !== undefined) body.parentReference = { id: parentId };
  const times = fileSystemInfo(entry);
  if (times) body.fileSystemInfo = times;
  try {
    const item = await d.api.json<DriveItem>(`${d.base}/items/${encodeURIComponent(entry.id)}`, { method: 'PATCH', body: JSON.stringify(body) });
    return toRemoteEntry(item);
  } catch (e) {
    throw graphError(e, what);
  }
}

/**
 * Moves `entry` to `t`. With `replaces` (the item now at the target) it never relies on
 * conflictBehavior=replace, which some drives ignore and which cannot replace folders:
 *   1. PATCH the target aside to a hidden name in its folder,
 *   2. PATCH the source onto the name,
 *   3. DELETE the item set aside.
 * So a replace costs 3 calls (plain move: 1); the caller's parent lookup adds 1 across folders.
 * If step 2 fails the target is PATCHed back (1 more call) and step 2's error is thrown: the
 * rename did not happen and both files are where they were. If step 3 fails the rename has
 * happened and is reported as done; the replaced item stays under its hidden name, with one log
 * line naming it (nothing of the user's is lost, at worst an old copy is left behind).
 */
export async function moveItem(d: MoveDeps, entry: RemoteEntry, t: MoveTarget, replaces?: RemoteEntry): Promise<RemoteEntry> {
  const what = `rename ${t.from} → ${t.to}`;
  if (!replaces || replaces.id === entry.id) return patchMove(d, entry, t.name, t.parentId, what);

  const parked = asideName();
  const aside = await patchMove(d, replaces, parked, undefined, `${what}: set the existing ${t.to} aside`);
  let moved: RemoteEntry;
  try {
    moved = await patchMove(d, entry, t.name, t.parentId, what);
  } catch (e) {
    try {
      await patchMove(d, aside, replaces.name, undefined, `${what}: put ${t.to} back`);
    } catch (restore) {
      d.log.error({ path: t.to, keptAs: parked, err: (restore as Error).message }, `rename failed and the replaced file could not be put back; it is kept as ${parked} in the same folder`);
    }
    throw e;
  }
  try {
    await d.api.json(`${d.base}/items/${encodeURIComponent(aside.id)}`, { method: 'DELETE', idempotent: true, acceptStatus: [404] });
  } catch (e) {
    d.log.warn({ path: t.to, keptAs: parked, err: (e as Error).message }, `renamed, but the replaced file could not be removed; it is left as ${parked} in the same folder`);
  }
  return moved;
}
