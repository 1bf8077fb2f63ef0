import type { CredentialStore } from '../config/credential-store.js';
import type { HttpClient } from '../http/client.js';
import { ConfigError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { DriverDescriptor, MountOptions } from './descriptor.js';
import { driverTypes, findDriver, settingSpec } from './registry.js';
import type { Drive } from './types.js';

/** Built by the caller, who knows where the credential lives (config file, memory). */
export interface CreateDeps {
  http: HttpClient;
  log: Logger;
  store: CredentialStore<any>;
}

/** The descriptor of a remote's `type`, or a ConfigError naming the known types. */
export function driverFor(name: string, remote: Record<string, unknown>): DriverDescriptor<any, any> {
  const types = driverTypes().join(', ');
  if (remote.type === undefined) throw new ConfigError(`remote "${name}": "type" is missing (one of: ${types})`);
  const d = findDriver(remote.type);
  if (!d) throw new ConfigError(`remote "${name}": unknown type "${String(remote.type)}" (one of: ${types})`);
  return d;
}

/** Validate a remote's settings and build its driver. Throws ConfigError with a clear message. */
export function createDrive(name: string, remote: Record<string, unknown>, deps: CreateDeps, options: MountOptions = {}): Drive {
  const d = driverFor(name, remote);
  return d.build(name, d.parse(name, remote), deps, options);
}

/** Check a remote's settings without building anything (`config set`). Throws ConfigError. */
export function validateRemote(name: string, remote: Record<string, unknown>): void {
  driverFor(name, remote).parse(name, remote);
}

/** A value typed on the command line as the setting's kind: `true`/`false` and numbers where the setting takes them. */
export function settingValue(type: unknown, key: string, text: string): unknown {
  const kind = settingSpec(type, key)?.kind;
  if (kind === 'boolean') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new ConfigError(`"${key}" takes true or false (got "${text}")`);
  }
  if (kind === 'number') {
    if (/^\d+$/.test(text)) return Number(text);
    throw new ConfigError(`"${key}" takes a whole number (got "${text}")`);
  }
  return text;
}
