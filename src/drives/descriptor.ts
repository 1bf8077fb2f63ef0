import type { Command } from 'commander';
import type { CredentialCodec } from '../config/credential.js';
import type { CredentialStore } from '../config/credential-store.js';
import type { EmulatorInfo } from '../emulators/emulator-process.js';
import type { HttpClient } from '../http/client.js';
import type { Logger } from '../util/log.js';
import type { Drive } from './types.js';

export type SettingKind = 'string' | 'boolean' | 'number';

/** One key of a remote's config entry. */
export interface SettingSpec {
  key: string;
  kind: SettingKind;
  /** What the driver uses when the key is absent (undefined: nothing, or derived from other keys). */
  default?: string | boolean | number;
  /** A credential: never printed, censored in the log. */
  secret?: boolean;
  help: string;
}

/** Options chosen per mount on the command line, not stored with the remote. */
export interface MountOptions {
  /** Upload fragment size in bytes (drivers that upload in fragments). */
  chunkSize?: number;
}

/** What every driver is given to run: the HTTP client, its credential store, the log. */
export interface DriveDeps<C> {
  http: HttpClient;
  store: CredentialStore<C>;
  log: Logger;
}

/**
 * Everything the program knows about one kind of remote. The CLI, config commands, secret
 * masking, log redaction, tests and benchmarks read this instead of knowing drivers by name.
 */
export interface DriverDescriptor<Cfg = unknown, C = unknown> {
  /** The `type` in the config file (never renamed: users have it in their files). */
  type: string;
  description: string;
  /** Every key `parse` accepts besides `type`. */
  settings: readonly SettingSpec[];
  /** Validate a remote's settings (strict: unknown keys are refused). Throws ConfigError. */
  parse(name: string, remote: Record<string, unknown>): Cfg;
  build(name: string, cfg: Cfg, deps: DriveDeps<C>, options: MountOptions): Drive;
  /** How the driver's credential sits in the config entry. */
  credential: CredentialCodec<C>;
  /** One line for `config list`: where the remote points. */
  summary(remote: Record<string, unknown>): string;
  /** `drivemount login <command>`, which creates such a remote: its name and how it adds itself to the CLI. */
  login: { command: string; register(login: Command, program: Command): void };
  /** The HTTP emulator of this service (`drivemount emulate <service>`), and a remote that talks to it. */
  emulator: {
    service: string;
    remoteSettings(info: EmulatorInfo, credential: string): Record<string, unknown>;
    /** false: the suites run for every service (writes, refresh tokens) do not fit it; it has suites of its own. */
    sharedSuites?: boolean;
  };
}

/** Registration helper that keeps each descriptor's types tied together. */
export function defineDriver<Cfg, C>(d: DriverDescriptor<Cfg, C>): DriverDescriptor<Cfg, C> {
  return d;
}
