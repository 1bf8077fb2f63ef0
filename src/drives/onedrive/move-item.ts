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
async function patchMove(d: MoveDeps, entry: RemoteEntry, name: string, parentId: string | undefined, what: string): Promise<DriveItem> {
  const body: Record<string, unknown> = { name };
  if (parentId !== undefined) body.parentReference = { id: parentId };
  const times = fileSystemInfo(entry);
  if (times) body.fileSystemInfo = times;
  try {
    return await d.api.json<DriveItem>(`${d.base}/items/${encodeURIComponent(entry.id)}`, { method: 'PATCH', body: JSON.stringify(body) });
  } catch (e) {
    throw graphError(e, what);
  }
}

/**
 * What the service holds for `id` now, or undefined if that cannot be told. A PATCH whose answer
 * was lost (a cut connection, a timeout) may have been applied: the next step depends on which.
 */
async function currentItem(d: MoveDeps, id: string): Promise<(DriveItem & { parentReference?: { id?: string } }) | undefined> {
  try {
    return await d.api.json(`${d.base}/items/${encodeURIComponent(id)}?$select=id,name,parentReference,folder`);
  } catch {
    return undefined;
  }
}

/**
 * Moves `entry` to `t`. With `replaces` (the item now at the target) it never relies on
 * conflictBehavior=replace, which some drives ignore and which cannot replace folders:
 *   1. PATCH the target aside to a hidden name in its folder,
 *   2. PATCH the source onto the name,
 *   3. DELETE the item set aside.
 * So a replace costs 3 calls (plain move: 1); the caller's parent lookup adds 1 across folders.
 * A step that fails is checked against what the service now holds (1 GET): a PATCH applied
 * whose answer was lost counts as done. If step 1 or 2 did not happen, the target is put back
 * (1 more call) and the error is thrown: both files are where they were. If step 3 fails the
 * rename has happened and is reported as done; the replaced item stays under its hidden name,
 * with one log line naming it. A folder set aside is deleted only while it is still empty (the
 * rename was judged on an empty folder; another client may have filled it since).
 */
export async function moveItem(d: MoveDeps, entry: RemoteEntry, t: MoveTarget, replaces?: RemoteEntry): Promise<RemoteEntry> {
  const what = `rename ${t.from} → ${t.to}`;
  if (!replaces || replaces.id === entry.id) return toRemoteEntry(await patchMove(d, entry, t.name, t.parentId, what));

  const parked = asideName();
  const putBack = async () => {
    try {
      await patchMove(d, replaces, replaces.name, undefined, `${what}: put ${t.to} back`);
    } catch (restore) {
      d.log.error({ path: t.to, keptAs: parked, err: (restore as Error).message }, `rename failed and the replaced file could not be put back; it is kept as ${parked} in the same folder`);
    }
  };
  let aside: DriveItem;
  try {
    aside = await patchMove(d, replaces, parked, undefined, `${what}: set the existing ${t.to} aside`);
  } catch (e) {
    if ((await currentItem(d, replaces.id))?.name === parked) await putBack();
    throw e;
  }
  let moved: RemoteEntry;
  try {
    moved = toRemoteEntry(await patchMove(d, entry, t.name, t.parentId, what));
  } catch (e) {
    const now = await currentItem(d, entry.id);
    const happened = now !== undefined && now.name === t.name && (t.parentId === undefined || now.parentReference?.id === t.parentId);
    if (!happened) {
      await putBack();
      throw e;
    }
    moved = toRemoteEntry(now);
  }
  if (aside.folder && (aside.folder.childCount ?? 0) > 0) {
    d.log.warn({ path: t.to, keptAs: parked }, `renamed; the replaced folder was no longer empty, so it is kept as ${parked} in the same folder`);
    return moved;
  }
  try {
    await d.api.json(`${d.base}/items/${encodeURIComponent(aside.id)}`, { method: 'DELETE', idempotent: true, acceptStatus: [404] });
  } catch (e) {
    d.log.warn({ path: t.to, keptAs: parked, err: (e as Error).message }, `renamed, but the replaced file could not be removed; it is left as ${parked} in the same folder`);
  }
  return moved;
}
