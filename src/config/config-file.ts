import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../util/errors.js';
import { writeDurably } from '../util/durable-file.js';
import { currentHolder, formatHolder, holderAlive, parseHolder, type LockHolder } from './lock-holder.js';

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
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeDurably(file, JSON.stringify(cfg, null, 2) + '\n');
}

export interface LockOptions {
  /** How long to wait for a live holder before giving up. */
  timeoutMs?: number;
  /**
   * When the lock cannot be created because the folder cannot be written (read-only, full, no
   * permission): `throw` (default), or run `fn` without it — no other process can change the
   * file there either, and a mount must keep refreshing its access tokens.
   */
  ifUnwritable?: 'throw' | 'run-unlocked';
}

/** Errors that say the config folder cannot take a new file. */
const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT']);

export function isUnwritable(e: unknown): boolean {
  return UNWRITABLE.has((e as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * Run `fn` while holding an exclusive lock on the config file, shared by every drivemount
 * process. Token rotation needs it: two mounts of one remote must not both spend the same
 * single-use refresh token, nor overwrite each other's rotation. The lock file names its
 * holder; it is taken over only when that process is gone, however old the file is.
 */
export async function withConfigLock<T>(file: string, fn: () => Promise<T>, o: LockOptions | number = {}): Promise<T> {
  const { timeoutMs = 120_000, ifUnwritable = 'throw' } = typeof o === 'number' ? { timeoutMs: o } : o;
  const lock = `${file}.lock`;
  let release: () => Promise<void>;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    release = await acquireLockFile(lock, timeoutMs, (who) => new ConfigError(`config file ${file} is locked by another drivemount process (${who}, ${lock}); try again when it is done`));
  } catch (e) {
    // Only our own writes decide that the folder cannot take a lock; a lock we cannot read is held.
    if (ifUnwritable === 'run-unlocked' && e instanceof UnwritableLockFolder) return fn();
    throw e instanceof UnwritableLockFolder ? e.cause : e;
  }
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Take the lock file `lock` (its holder named inside), waiting up to `timeoutMs` while a live
 * process holds it; a lock whose holder is gone is taken over. Resolves to its release.
 */
export async function acquireLockFile(lock: string, timeoutMs: number, busy: (who: string) => Error): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ours = await tryLock(lock);
    if (ours !== undefined) return () => releaseIfOurs(lock, ours);
    const seen = await readHolder(lock);
    if (seen === 'gone') continue;
    if (seen.holder === 'unreadable' || (seen.holder !== 'hidden' && !holderAlive(seen.holder))) {
      await removeIfUnchanged(lock, seen.text);
      continue;
    }
    if (Date.now() >= deadline) throw busy(seen.holder === 'hidden' ? "another user's process" : `pid ${seen.holder.pid}`);
    await sleep(50);
  }
}

/** Our own attempt to create the lock failed because the folder takes no new file. */
class UnwritableLockFolder extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error).message);
  }
}

/**
 * Create the lock with its content in one step: written to a private file first, then linked
 * to the lock's name (which fails if it exists), so nobody ever reads a half-written lock.
 * The content ends with a random nonce (after the holder's fields, which is all older readers
 * take): returns that content when taken, so release can tell the lock is still ours.
 */
async function tryLock(lock: string): Promise<string | undefined> {
  const tmp = `${lock}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`;
  const content = `${formatHolder(currentHolder()).trimEnd()} ${randomUUID()}\n`;
  try {
    await fs.writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw isUnwritable(e) ? new UnwritableLockFolder(e) : e;
  }
  try {
    await fs.link(tmp, lock);
    return content;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw isUnwritable(e) ? new UnwritableLockFolder(e) : e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Remove the lock only while it is the one we made (a holder judged dead may have lost it). */
async function releaseIfOurs(lock: string, content: string | undefined): Promise<void> {
  try {
    if (content !== undefined && (await fs.readFile(lock, 'utf8')) === content) await fs.rm(lock, { force: true });
  } catch {
    /* gone already */
  }
}

/** The lock's holder and its text; 'hidden' when the file cannot be read (another user's): held. */
async function readHolder(lock: string): Promise<'gone' | { holder: LockHolder | 'unreadable' | 'hidden'; text: string }> {
  let text: string;
  try {
    text = await fs.readFile(lock, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'gone';
    if (code === 'EACCES' || code === 'EPERM') return { holder: 'hidden', text: '' };
    throw e;
  }
  return { holder: parseHolder(text) ?? (await halfWritten(lock, text)), text };
}

/**
 * An empty or garbled lock: a version that wrote the pid after creating the file may be
 * between the two steps, so it counts as held for a moment, then as garbage.
 */
async function halfWritten(lock: string, text: string): Promise<LockHolder | 'unreadable'> {
  try {
    const st = await fs.stat(lock);
    if (text.trim() === '' && Date.now() - st.mtimeMs < 2_000) return { pid: process.pid };
  } catch {
    /* vanished: the next round sees that */
  }
  return 'unreadable';
}

/**
 * Remove a stale lock, unless another process replaced it since it was read. Two processes may
 * judge the same dead holder at once: the lock is first renamed aside (atomic, so only one
 * process moves any given file), and what was moved is deleted only if it is the file judged
 * stale; a live lock moved by mistake goes back.
 */
async function removeIfUnchanged(lock: string, seenText: string): Promise<void> {
  const aside = `${lock}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    await fs.rename(lock, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    if ((await fs.readFile(aside, 'utf8')) !== seenText) await fs.link(aside, lock).catch(() => undefined);
  } finally {
    await fs.rm(aside, { force: true });
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
