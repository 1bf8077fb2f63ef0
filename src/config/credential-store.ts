import { readConfig, withConfigLock, writeConfigAtomic } from './config-file.js';
import type { CredentialCodec } from './credential.js';

/**
 * Where a driver's credential lives. The driver re-reads it before each renewal (another mount
 * of the same remote may have rotated it) and saves each new one at once.
 */
export interface CredentialStore<C> {
  /** Run a read-renew-save cycle exclusively across processes. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  load(): Promise<C | undefined>;
  save(credential: C): Promise<void>;
  /** Where the credential is kept, for messages (a path, never the credential). */
  readonly where?: string;
}

/**
 * The config file's remote entry is the store: the codec says which keys hold the credential;
 * they are written back atomically, mode 0600, other settings left as they are.
 */
export class ConfigCredentialStore<C> implements CredentialStore<C> {
  constructor(
    private readonly file: string,
    private readonly remote: string,
    private readonly codec: CredentialCodec<C>,
  ) {}

  get where(): string {
    return `the config file ${this.file} (remote "${this.remote}")`;
  }

  /**
   * A config folder that cannot be written (read-only, full) cannot hold the lock either; the
   * cycle then runs unlocked, so the mount keeps its access tokens (a save fails and is retried).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return withConfigLock(this.file, fn, { ifUnwritable: 'run-unlocked' });
  }

  async load(): Promise<C | undefined> {
    const cfg = await readConfig(this.file);
    const entry = Object.hasOwn(cfg.remotes, this.remote) ? cfg.remotes[this.remote] : undefined;
    return entry ? this.codec.read(entry) : undefined;
  }

  /** Called inside exclusive(): the lock is already held, so write without taking it again. */
  async save(credential: C): Promise<void> {
    const cfg = await readConfig(this.file);
    const entry = Object.hasOwn(cfg.remotes, this.remote) ? cfg.remotes[this.remote] : undefined;
    if (!entry) return; // the remote was removed while mounted: nothing to keep
    const values = this.codec.write(credential);
    for (const key of this.codec.keys) {
      if (values[key] === undefined) delete entry[key];
      else entry[key] = values[key];
    }
    await writeConfigAtomic(this.file, cfg);
  }
}

/** For tests and one-shot commands: keeps the credential in memory only. */
export class MemoryCredentialStore<C> implements CredentialStore<C> {
  constructor(private credential: C | undefined) {}
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
  async load(): Promise<C | undefined> {
    return this.credential;
  }
  async save(credential: C): Promise<void> {
    this.credential = credential;
  }
}

/** A memory store holding one refresh token (tests, benchmarks). */
export function memoryRefreshTokenStore(refreshToken: string | undefined): MemoryCredentialStore<{ refreshToken: string }> {
  return new MemoryCredentialStore(refreshToken === undefined ? undefined : { refreshToken });
}
