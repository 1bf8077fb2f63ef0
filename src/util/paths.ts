import os from 'node:os';
import path from 'node:path';

/** The one cache folder of drivemount: $XDG_CACHE_HOME/drivemount (default ~/.cache/drivemount). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'drivemount');
}

/** Where a remote's written files are staged before upload: one folder per remote inside the cache folder. */
export function defaultCacheDir(remote: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), remote);
}
