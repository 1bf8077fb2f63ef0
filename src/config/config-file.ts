import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../util/errors.js';

export interface ConfigFile {
  remotes: Record<string, Record<string, unknown>>;
}

/** --config, then DRIVEMOUNT_CONFIG, then $XDG_CONFIG_HOME/drivemount/config.json (default ~/.config). */
export function resolveConfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.DRIVEMOUNT_CONFIG) return path.resolve(env.DRIVEMOUNT_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'drivemount', 'config.json');
}

export async function readConfig(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(`no config file at ${file} — create it (see README "Configuration") or pass --config FILE`);
    }
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a JSON object`);
  const remotes = (parsed as { remotes?: unknown }).remotes ?? {};
  if (typeof remotes !== 'object' || Array.isArray(remotes) || remotes === null) {
    throw new ConfigError(`config file ${file}: "remotes" must be an object of NAME → settings`);
  }
  return { ...(parsed as object), remotes: remotes as ConfigFile['remotes'] };
}

/**
 * Write the whole file so that a crash leaves either the old or the new content, never a
 * torn one: temp file (0600) in the same folder, fsync, rename, fsync the folder.
 */
export async function writeConfigAtomic(file: string, cfg: ConfigFile): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await fh.writeFile(JSON.stringify(cfg, null, 2) + '\n');
    await fh.chmod(0o600); // umask cannot widen it, but be explicit
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  const dh = await fs.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Run `fn` while holding an exclusive lock on the config file, shared by every drivemount
 * process. Token rotation needs it: two mounts of one remote must not both spend the same
 * single-use refresh token, nor overwrite each other's rotation.
 */
export async function withConfigLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const fh = await fs.open(lock, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (await lockIsStale(lock)) {
        await fs.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new ConfigError(`config file ${file} is locked by another process (${lock})`);
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/** A lock left by a dead process, or older than a minute, is stale. */
async function lockIsStale(lock: string): Promise<boolean> {
  try {
    const [st, pidText] = await Promise.all([fs.stat(lock), fs.readFile(lock, 'utf8')]);
    if (Date.now() - st.mtimeMs > 60_000) return true;
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - st.mtimeMs > 2_000;
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // vanished meanwhile: try again
  }
}

/** Read-modify-write one remote's settings under the lock. */
export async function updateRemote(
  file: string,
  name: string,
  mutate: (remote: Record<string, unknown>) => void,
): Promise<void> {
  await withConfigLock(file, async () => {
    const cfg = await readConfig(file);
    const remote = cfg.remotes[name];
    if (!remote) throw new ConfigError(`remote "${name}" vanished from ${file}`);
    mutate(remote);
    await writeConfigAtomic(file, cfg);
  });
}

/** The config, or an empty one when the file does not exist yet (first login). */
export async function readConfigOrEmpty(file: string): Promise<ConfigFile> {
  try {
    await fs.access(file);
  } catch {
    return { remotes: {} };
  }
  return readConfig(file);
}

/** Read-modify-write the whole config under the lock, creating the file if needed. */
export async function editConfig<T>(file: string, edit: (cfg: ConfigFile) => T | Promise<T>): Promise<T> {
  return withConfigLock(file, async () => {
    const cfg = await readConfigOrEmpty(file);
    const result = await edit(cfg);
    await writeConfigAtomic(file, cfg);
    return result;
  });
}
