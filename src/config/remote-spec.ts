import { ConfigError } from '../util/errors.js';
import type { ConfigFile } from './config-file.js';
import { normalizePosix } from '../util/posix-path.js';

/** `NAME` or `NAME:/sub/path` as typed on the command line. */
export interface RemoteSpec {
  name: string;
  subPath: string;
}

export function parseRemoteSpec(text: string): RemoteSpec {
  const i = text.indexOf(':');
  const name = i < 0 ? text : text.slice(0, i);
  let sub = i < 0 ? '/' : text.slice(i + 1) || '/';
  if (!name) throw new ConfigError(`"${text}" names no remote: use NAME or NAME:/path`);
  if (!sub.startsWith('/')) sub = '/' + sub;
  return { name, subPath: normalizePosix(sub) };
}

export function lookupRemote(cfg: ConfigFile, name: string, file: string): Record<string, unknown> {
  // Own properties only: "constructor" or "__proto__" must not find Object.prototype's members.
  const remote = Object.hasOwn(cfg.remotes, name) ? cfg.remotes[name] : undefined;
  if (!remote) {
    const known = Object.keys(cfg.remotes);
    throw new ConfigError(
      `unknown remote "${name}" in ${file}` + (known.length ? ` (defined: ${known.join(', ')})` : ' (no remotes are defined)'),
    );
  }
  if (typeof remote !== 'object' || remote === null) throw new ConfigError(`remote "${name}" in ${file} must be an object`);
  return remote;
}

/** Small validators shared by every driver's config parser: each throws a ConfigError naming the key. */
export class RemoteFields {
  constructor(private readonly remote: Record<string, unknown>, private readonly where: string) {}

  requiredString(key: string, hint = ''): string {
    const v = this.remote[key];
    if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`${this.where}: "${key}" is missing${hint ? ` — ${hint}` : ''}`);
    return v;
  }

  optionalString(key: string): string | undefined {
    const v = this.remote[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new ConfigError(`${this.where}: "${key}" must be a string`);
    return v;
  }

  optionalUrl(key: string): string | undefined {
    const v = this.optionalString(key);
    if (v === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(`${this.where}: "${key}" is not a valid URL: ${v}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`${this.where}: "${key}" must be an http(s) URL`);
    return v.replace(/\/+$/, '');
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.optionalString(key);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new ConfigError(`${this.where}: "${key}" is "${v}" — must be one of ${allowed.join(', ')}`);
    }
    return v as T;
  }

  optionalPath(key: string, fallback: string): string {
    const v = this.optionalString(key) ?? fallback;
    if (!v.startsWith('/')) throw new ConfigError(`${this.where}: "${key}" must start with "/" (got "${v}")`);
    return v;
  }

  rejectUnknown(known: readonly string[]): void {
    for (const k of Object.keys(this.remote)) {
      if (!known.includes(k)) throw new ConfigError(`${this.where}: unknown setting "${k}" (known: ${known.join(', ')})`);
    }
  }
}
