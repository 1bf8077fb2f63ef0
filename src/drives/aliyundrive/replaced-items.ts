import { randomBytes } from 'node:crypto';
import type { LRUCache } from 'lru-cache';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';

/**
 * What the Aliyundrive drivers (Open and legacy) share when a rename replaces an item: the
 * service never puts a folder in a folder's place, so the target steps aside under a unique name,
 * is removed once the move is done, and gets its name back if the move did not happen.
 */

/** A name no one else uses, for a folder that a rename replaces, while the rename is under way. */
export function asideName(name: string): string {
  return `${name}.drivemount-replaced-${randomBytes(4).toString('hex')}`;
}

/** Removes an item a new one replaced; already gone is fine (another client, or a retry, removed it). */
export async function removeReplaced(remove: () => Promise<void>): Promise<void> {
  try {
    await remove();
  } catch (e) {
    if (!(e instanceof DriveError && e.code === 'ENOENT')) throw e;
  }
}

/** The replaced folder, once the move is done. It was empty; failing to remove it fails nothing. */
export async function removeAside(log: Logger, path: string, remove: () => Promise<void>): Promise<void> {
  await removeReplaced(remove).catch((e: unknown) => {
    log.warn({ path, err: (e as Error).message }, `the folder replaced by a rename could not be removed; it stays beside ${path} under a name ending ".drivemount-replaced-…"`);
  });
}

/** A move failed after its target folder stepped aside: the target gets its name back. */
export async function putBack(log: Logger, path: string, rename: () => Promise<unknown>): Promise<void> {
  await rename().catch((e: unknown) => {
    log.error({ path, err: (e as Error).message }, `a failed rename could not give ${path} its name back: it is beside it under a name ending ".drivemount-replaced-…"`);
  });
}

/** Forget the folder ids at and below `path` (it was moved or removed). */
export function forgetIdsBelow(ids: LRUCache<string, string>, path: string): void {
  ids.delete(path);
  const prefix = path + '/';
  for (const k of [...ids.keys()]) if (k.startsWith(prefix)) ids.delete(k);
}
