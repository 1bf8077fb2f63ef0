// Changes to the tree other than uploads: create (folders), update (rename),
// move, copy, recyclebin/trash and delete. Name conflicts follow place.ts.
//
// Defaults where a request omits check_name_mode: create → ignore (the
// platform's default), update and move → refuse. move's `new_name` is, as
// the platform documents it, the name to use when the original name is
// already taken at the destination. copy takes `auto_rename` (boolean,
// default false → a taken name is 409 AlreadyExist.File). Trash and delete
// are synchronous here (the service may hand back an async_task_id for big
// folders); both answer 200 {drive_id, file_id}.
//
// The root cannot be renamed, moved, copied or removed (400
// InvalidParameter.FileId); a trashed item cannot be renamed, moved, copied
// or trashed again (403 ForbiddenFileInTheRecycleBin) but can be deleted.

import { cp, mkdir, rename, rm, utimes } from 'node:fs/promises';

import type { ApiCall } from './context.js';
import { alreadyExists, fileNotFound, inRecycleBin, invalidParam } from './errors.js';
import { createdMs, extensionOf, fileJson, isoTime, requireFolder } from './files.js';
import { checkName, checkNameMode, driveOf, optBool, optString, reqString } from './params.js';
import { commitStaged, place, removeReplaced } from './place.js';
import { ensureQuota } from './quota.js';
import { AliDrive, type Item, joinRel, treeBytes } from './store.js';

/** A live item that may be changed; trashed → 403, missing → 404, root → 400. */
async function changeable(drive: AliDrive, fileId: string): Promise<Item> {
  const it = await drive.resolveId(fileId);
  if (!it) throw (await drive.trashedItem(fileId)) ? inRecycleBin() : fileNotFound();
  if (it.isRoot) throw invalidParam('file_id', 'the root folder cannot be changed');
  return it;
}

/** Items stay in their drive (to_drive_id naming another drive is refused, not ignored). */
function sameDrive(call: ApiCall, drive: AliDrive): void {
  const to = optString(call, 'to_drive_id');
  if (to && to !== drive.driveId) throw invalidParam('to_drive_id', 'moving or copying between drives is not supported by the emulator');
}

/** A live photo is a folder on disk: its name must keep the .livp extension. */
function checkLivpName(it: Item, name: string): void {
  if (it.kind === 'livp' && extensionOf(name) !== 'livp') {
    throw invalidParam('name', 'a live photo (.livp) must keep its extension in this emulator');
  }
}

/** POST openFile/create with type "folder". */
export async function createFolder(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  const parent = await requireFolder(drive, reqString(call, 'parent_file_id'));
  const name = reqString(call, 'name');
  checkName(name);
  const mode = checkNameMode(call, 'ignore');
  await ensureQuota(call.ctx, 0);
  return drive.lock.run(async () => {
    const p = await place(drive, parent, name, mode, true);
    let it = p.exist;
    if (!it) {
      await mkdir(drive.absOf(joinRel(parent.rel, p.name)));
      it = await drive.itemAt(joinRel(parent.rel, p.name), parent.id);
      if (!it) throw new Error('created folder vanished');
    }
    return {
      drive_id: drive.driveId,
      parent_file_id: parent.id,
      file_id: it.id,
      file_name: it.name,
      type: it.kind === 'folder' ? 'folder' : 'file',
      status: 'available',
      exist: p.exist !== null,
      created_at: isoTime(createdMs(it)),
      updated_at: isoTime(it.stat.mtimeMs),
    };
  });
}

/** POST openFile/update — rename (other fields such as starred are accepted and ignored). */
export async function update(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  const it = await changeable(drive, reqString(call, 'file_id'));
  const name = optString(call, 'name');
  const mode = checkNameMode(call, 'refuse');
  if (name === undefined || name === it.name) return fileJson(call.ctx, drive, it);
  checkName(name);
  checkLivpName(it, name);
  const renamed = await drive.lock.run(async () => {
    const parent = await drive.resolveId(it.parentId);
    if (!parent) throw fileNotFound();
    const p = await place(drive, parent, name, mode, it.kind === 'folder', it.id);
    if (p.exist) throw alreadyExists(name);
    await removeReplaced(call.ctx, drive, p.replace);
    const to = drive.absOf(joinRel(parent.rel, p.name));
    await rename(it.abs, to);
    const now = new Date();
    await utimes(to, now, now); // the service bumps updated_at on rename
    return drive.itemAt(joinRel(parent.rel, p.name), parent.id);
  });
  if (!renamed) throw fileNotFound();
  return fileJson(call.ctx, drive, renamed);
}

/** POST openFile/move */
export async function move(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  const it = await changeable(drive, reqString(call, 'file_id'));
  sameDrive(call, drive);
  const dest = await requireFolder(drive, reqString(call, 'to_parent_file_id'));
  const newName = optString(call, 'new_name');
  if (newName !== undefined && newName !== '') {
    checkName(newName, 'new_name');
    checkLivpName(it, newName);
  }
  const mode = checkNameMode(call, 'refuse');
  if (it.kind === 'folder' && AliDrive.contains(it, dest)) {
    throw invalidParam('to_parent_file_id', 'a folder cannot be moved into itself or its subfolders');
  }
  return drive.lock.run(async () => {
    let name = it.name;
    const holder = await drive.itemAt(joinRel(dest.rel, name), dest.id);
    if (newName && holder && holder.id !== it.id) name = newName;
    const p = await place(drive, dest, name, mode, it.kind === 'folder', it.id);
    if (p.exist) return { drive_id: drive.driveId, file_id: p.exist.id, exist: true };
    await removeReplaced(call.ctx, drive, p.replace);
    await rename(it.abs, drive.absOf(joinRel(dest.rel, p.name)));
    call.ctx.usage.invalidate();
    return { drive_id: drive.driveId, file_id: it.id, exist: false };
  });
}

/** POST openFile/copy */
export async function copy(call: ApiCall): Promise<unknown> {
  const { ctx } = call;
  const drive = driveOf(call);
  const it = await changeable(drive, reqString(call, 'file_id'));
  sameDrive(call, drive);
  const dest = await requireFolder(drive, reqString(call, 'to_parent_file_id'));
  const mode = optBool(call, 'auto_rename') ? 'auto_rename' : 'refuse';
  if (it.kind === 'folder' && AliDrive.contains(it, dest)) {
    throw invalidParam('to_parent_file_id', 'a folder cannot be copied into itself or its subfolders');
  }
  await ensureQuota(ctx, await treeBytes(it.abs));
  const staged = await drive.staging.newPath();
  try {
    await cp(it.abs, staged, { recursive: true, errorOnExist: true, force: false });
    const done = await commitStaged(ctx, drive, dest.id, it.name, mode, staged);
    return { drive_id: drive.driveId, file_id: done.id };
  } finally {
    await rm(staged, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** POST openFile/recyclebin/trash */
export async function trash(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  const it = await changeable(drive, reqString(call, 'file_id'));
  await drive.lock.run(() => drive.moveToTrash(it));
  call.ctx.usage.invalidate();
  return { drive_id: drive.driveId, file_id: it.id };
}

/** POST openFile/delete — permanent, for live and trashed items alike. */
export async function remove(call: ApiCall): Promise<unknown> {
  const drive = driveOf(call);
  const fileId = reqString(call, 'file_id');
  const live = await drive.resolveId(fileId);
  const it = live ?? (await drive.trashedItem(fileId));
  if (!it) throw fileNotFound();
  if (it.isRoot) throw invalidParam('file_id', 'the root folder cannot be deleted');
  await drive.lock.run(async () => {
    await rm(it.abs, { recursive: true, force: true });
    if (it.trashed) drive.forgetTrashed(it.id);
  });
  call.ctx.usage.invalidate();
  return { drive_id: drive.driveId, file_id: it.id };
}
