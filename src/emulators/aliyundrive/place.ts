// Where a new, moved, renamed or copied item goes when its name is taken —
// check_name_mode — and committing staged items (uploads, copies) into place.
//
//   refuse      → the taken name wins: create of a folder and move answer
//                 `exist: true` with nothing changed; file uploads, rename and
//                 copy answer 409 AlreadyExist.File.
//   auto_rename → "name(1).ext", "name(2).ext", … (the service's scheme).
//   ignore      → the service would keep both items under the same name,
//                 which a folder on disk cannot hold: a file takes the name
//                 from an existing *file*, which is displaced (see store.ts:
//                 it keeps its id but leaves listings); a folder
//                 meeting a folder behaves like refuse; a file meeting a
//                 folder (or the reverse) is 409 AlreadyExist.File.
// All of it runs under the drive lock, so check and act do not interleave.

import { readdir } from 'node:fs/promises';

import { moveInto } from '../onedrive/staging.js';
import type { AliContext } from './context.js';
import { alreadyExists, parentNotFound } from './errors.js';
import type { CheckNameMode } from './params.js';
import { type AliDrive, type Item, joinRel, lstatOrNull } from './store.js';

export interface Placement {
  /** Final name. */
  name: string;
  /** An item with that name that must be removed first (ignore mode). */
  replace: Item | null;
  /** The item holding the name when the mode keeps it (refuse, or folder over folder). */
  exist: Item | null;
}

/** "a.txt" → "a(1).txt", "a(2).txt", … (the first one free in `taken`). */
export function uniqueName(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let n = 1; ; n++) {
    const candidate = `${stem}(${n})${ext}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** Call under drive.lock. `selfId`: the item being moved/renamed (its own name is not a conflict). */
export async function place(drive: AliDrive, parent: Item, name: string, mode: CheckNameMode, incomingIsFolder: boolean, selfId?: string): Promise<Placement> {
  const existing = await drive.itemAt(joinRel(parent.rel, name), parent.id);
  if (!existing || existing.id === selfId) return { name, replace: null, exist: null };
  if (mode === 'auto_rename') return { name: uniqueName(name, await readdir(parent.abs)), replace: null, exist: null };
  if (mode === 'refuse') return { name, replace: null, exist: existing };
  const existingIsFolder = existing.kind === 'folder';
  if (!existingIsFolder && !incomingIsFolder) return { name, replace: existing, exist: null };
  if (existingIsFolder && incomingIsFolder) return { name, replace: null, exist: existing };
  throw alreadyExists(name);
}

/**
 * Moves aside a file that a same-name file joins (ignore mode). On the service
 * both would be listed; here the older one leaves the folder but keeps its id
 * (get, trash, delete… still work on it), so a client that cleans up the
 * duplicate afterwards, as clients of the service do, still can.
 */
export async function removeReplaced(ctx: AliContext, drive: AliDrive, it: Item | null): Promise<void> {
  if (!it) return;
  await drive.displace(it);
  ctx.usage.invalidate();
}

/**
 * Moves a staged file or folder into `parentId/name` under the drive lock.
 * A name kept by the mode (refuse, folder over folder) → 409 AlreadyExist.File.
 * `keepId`: the file_id already handed out for this item (an upload's).
 */
export async function commitStaged(
  ctx: AliContext,
  drive: AliDrive,
  parentId: string,
  name: string,
  mode: CheckNameMode,
  staged: string,
  keepId?: string,
): Promise<Item> {
  return drive.lock.run(async () => {
    const parent = await drive.resolveId(parentId);
    if (!parent || parent.kind !== 'folder') throw parentNotFound();
    const st = await lstatOrNull(staged);
    const p = await place(drive, parent, name, mode, st?.isDirectory() ?? false);
    if (p.exist) throw alreadyExists(name);
    await removeReplaced(ctx, drive, p.replace);
    const rel = joinRel(parent.rel, p.name);
    await moveInto(staged, drive.absOf(rel));
    const after = await lstatOrNull(drive.absOf(rel));
    // Across filesystems the inode changed: keep the id the client was given.
    if (after && keepId && drive.idFor(after) !== keepId) drive.keepId(after, keepId);
    ctx.usage.invalidate();
    const it = await drive.itemAt(rel, parent.id);
    if (!it) throw new Error(`committed item vanished: ${rel}`);
    return it;
  });
}
