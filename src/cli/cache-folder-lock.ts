import { promises as fs } from 'node:fs';
import path from 'node:path';
import { acquireLockFile } from '../config/config-file.js';
import { ConfigError } from '../util/errors.js';

/**
 * Hold the cache folder for this process (a mount that writes, or `recover`): a lock file beside
 * it (`<folder>.lock`, outside it, so the folder holds only staged files and their records)
 * naming its holder. A live holder makes this fail at once with a clear message; a dead one's
 * lock is taken over. Resolves to the release.
 */
export async function holdCacheFolder(cacheDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(path.dirname(cacheDir), { recursive: true, mode: 0o700 });
  const lock = `${cacheDir.replace(/\/+$/, '')}.lock`;
  return acquireLockFile(lock, 0, (who) => new ConfigError(`the cache folder ${cacheDir} is in use by another drivemount process (${who}: a mount or recover of this remote); unmount it first, or give this one its own --cache-dir`));
}
