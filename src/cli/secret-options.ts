import type { Command } from 'commander';
import { ConfigError } from '../util/errors.js';
import { Prompter } from './prompter.js';

/** `clientSecret` → `DRIVEMOUNT_CLIENT_SECRET`: where a secret setting may come from instead of argv. */
export function secretEnvName(key: string): string {
  return `DRIVEMOUNT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** `clientSecret` → `Client secret`: the prompt a hidden question shows. */
function label(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The one-line warning for a secret typed into the command itself. */
export function inlineSecretWarning(what: string, better: string): string {
  return `drivemount: warning: ${what} on the command line is visible to other users (ps, /proc) and kept in shell history; ${better}\n`;
}

export interface SecretSources {
  env?: NodeJS.ProcessEnv;
  term?: Prompter;
  warn?: (line: string) => void;
}

/**
 * Resolve the secret options of a command before it runs: `-` reads the value (a hidden prompt
 * on a terminal, else one line of stdin), an absent option takes DRIVEMOUNT_<KEY> from the
 * environment, and a value typed inline still works but is warned about.
 */
export async function resolveSecretOptions(cmd: Command, secretKeys: readonly string[], src: SecretSources = {}): Promise<void> {
  const env = src.env ?? process.env;
  const warn = src.warn ?? ((l: string) => process.stderr.write(l));
  let term: Prompter | undefined;
  try {
    for (const opt of cmd.options) {
      const key = opt.attributeName();
      if (!secretKeys.includes(key)) continue;
      const value = cmd.getOptionValue(key) as unknown;
      const flag = opt.long ?? opt.flags;
      const envName = secretEnvName(key);
      if (value === '-') {
        term ??= src.term ?? new Prompter(process.stdin, process.stderr);
        const read = (await term.secret(`${label(key)}: `))?.trim();
        if (!read) throw new ConfigError(`${flag} -: no value was given on stdin`);
        cmd.setOptionValue(key, read);
      } else if (typeof value === 'string') {
        warn(inlineSecretWarning(flag, `pass "${flag} -" to type or pipe it, or set ${envName}`));
      } else if (value === undefined && env[envName]) {
        cmd.setOptionValue(key, env[envName]);
      }
    }
  } finally {
    if (!src.term) term?.close();
  }
}

/** The help lines telling where each secret option can come from. */
export function secretOptionsHelp(cmd: Command, secretKeys: readonly string[]): string {
  const lines = cmd.options
    .filter((o) => secretKeys.includes(o.attributeName()))
    .map((o) => `  ${o.long} -   reads it from stdin (hidden prompt on a terminal); or set ${secretEnvName(o.attributeName())}`);
  return lines.length ? `\nSecrets stay off the command line:\n${lines.join('\n')}` : '';
}
