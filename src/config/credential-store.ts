import { readConfig, withConfigLock, writeConfigAtomic } from './config-file.js';

/**
 * Where a driver's rotating refresh token lives. The driver re-reads it before each refresh
 * (another mount of the same remote may have rotated it) and saves each new one at once.
 */
export interface CredentialStore {
  /** Run a read-refresh-save cycle exclusively across processes. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  loadRefreshToken(): Promise<string | undefined>;
  saveRefreshToken(token: string): Promise<void>;
}

/** The config file's remote entry is the store: tokens are written back atomically, mode 0600. */
export class ConfigCredentialStore implements CredentialStore {
  constructor(private readonly file: string, private readonly remote: string) {}

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return withConfigLock(this.file, fn);
  }

  async loadRefreshToken(): Promise<string | undefined> {
    const cfg = await readConfig(this.file);
    const t = cfg.remotes[this.remote]?.refreshToken;
    return typeof t === 'string' ? t : undefined;
  }

  /** Called inside exclusive(): the lock is already held, so write without taking it again. */
  async saveRefreshToken(token: string): Promise<void> {
    await updateRemoteUnlocked(this.file, this.remote, token);
  }
}

async function updateRemoteUnlocked(file: string, remote: string, token: string): Promise<void> {
  const cfg = await readConfig(file);
  const r = cfg.remotes[remote];
  if (!r) return; // the remote was removed while mounted: nothing to keep
  r.refreshToken = token;
  await writeConfigAtomic(file, cfg);
}

/** For tests and one-shot commands: keeps the token in memory only. */
export class MemoryCredentialStore implements CredentialStore {
  constructor(private token: string | undefined) {}
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
  async loadRefreshToken(): Promise<string | undefined> {
    return this.token;
  }
  async saveRefreshToken(token: string): Promise<void> {
    this.token = token;
  }
}

