import type { Command } from 'commander';
import { editConfig, readConfigOrEmpty, resolveConfigPath } from '../config/config-file.js';
import { lookupRemote } from '../config/remote-spec.js';
import { isSecretSetting, maskedRemote, maskSecret } from '../config/secrets.js';
import { settingValue, validateRemote } from '../drives/create-drive.js';
import { DRIVERS, findDriver } from '../drives/registry.js';
import { remoteTypesHelp } from './types-help.js';
import { ConfigError } from '../util/errors.js';
import { Prompter } from './prompter.js';
import { inlineSecretWarning, type SecretSources } from './secret-options.js';

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(`${l}\n`);

/** `drivemount config list|show|remove|set|path`: the remotes, never printing a secret. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('list, show, change or remove remotes (secrets are never printed)');
  const file = () => resolveConfigPath(program.opts().config);
  config
    .command('list')
    .description('one line per remote: name, type and where it points')
    .action(async () => configList(file()));
  config
    .command('show')
    .description('the settings of one remote (or all), secrets masked')
    .argument('[name]')
    .action(async (name?: string) => configShow(file(), name));
  config
    .command('remove')
    .alias('rm')
    .description('delete a remote from the config file')
    .argument('<name>')
    .action(async (name: string) => configRemove(file(), name));
  config
    .command('set')
    .description('change settings: drivemount config set NAME key=value … (key= removes the key; a secret key alone is read from stdin)')
    .argument('<name>')
    .argument('<settings...>', 'key=value pairs, or a secret key alone (e.g. clientSecret) to type or pipe its value')
    .addHelpText('after', remoteTypesHelp())
    .action(async (name: string, pairs: string[]) => configSet(file(), name, pairs));
  config
    .command('path')
    .description('print where the config file is')
    .action(() => stdout(file()));
}

export async function configList(file: string, out: Out = stdout): Promise<void> {
  const cfg = await readConfigOrEmpty(file);
  const names = Object.keys(cfg.remotes).sort();
  if (names.length === 0) {
    out(`no remotes in ${file} — add one with "drivemount login ${DRIVERS.map((d) => d.login.command).join('|')} --name NAME"`);
    return;
  }
  const width = Math.max(...names.map((n) => n.length));
  for (const n of names) {
    const r = cfg.remotes[n]!;
    out(`${n.padEnd(width)}  ${String(r.type ?? '?').padEnd(16)}  ${whereItPoints(r)}`);
  }
}

/** Each driver says in one line where its remotes point. */
function whereItPoints(r: Record<string, unknown>): string {
  return findDriver(r.type)?.summary(r) ?? '';
}

export async function configShow(file: string, name: string | undefined, out: Out = stdout): Promise<void> {
  const cfg = await readConfigOrEmpty(file);
  if (name === undefined) {
    const all = Object.fromEntries(Object.entries(cfg.remotes).map(([n, r]) => [n, maskedRemote(r)]));
    out(JSON.stringify({ file, remotes: all }, null, 2));
    return;
  }
  out(JSON.stringify({ [name]: maskedRemote(lookupRemote(cfg, name, file)) }, null, 2));
}

export async function configRemove(file: string, name: string, out: Out = stdout): Promise<void> {
  await editConfig(file, (cfg) => {
    lookupRemote(cfg, name, file);
    delete cfg.remotes[name];
  });
  out(`removed remote "${name}" from ${file}`);
}

/**
 * Apply `key=value` pairs, validate the result as a whole, and only then write it. A secret key
 * given alone (or as `key=-`) is read from stdin — a hidden prompt on a terminal — so it stays
 * out of argv and shell history; one typed inline still works, with a warning.
 */
export async function configSet(file: string, name: string, pairs: string[], out: Out = stdout, src: SecretSources = {}): Promise<void> {
  const current = lookupRemote(await readConfigOrEmpty(file), name, file);
  const typeSet = pairs.find((p) => p.startsWith('type='))?.slice('type='.length);
  const type = typeSet || current.type;
  const changes: { key: string; text: string }[] = [];
  for (const p of pairs) {
    const i = p.indexOf('=');
    const key = (i < 0 ? p : p.slice(0, i)).trim();
    const secret = key !== '' && isSecretSetting(key, type);
    if (i === 0 || (i < 0 && !secret)) throw new ConfigError(`"${p}" is not key=value${i < 0 ? ' (only a secret key may be given alone, to read it from stdin)' : ''}`);
    let text = i < 0 ? '-' : p.slice(i + 1);
    if (secret && text === '-') text = await readSecretValue(key, src);
    else if (secret && text !== '') (src.warn ?? warnStderr)(inlineSecretWarning(`"${key}=…"`, `give "${key}" alone to type or pipe it`));
    changes.push({ key, text });
  }
  const shown: string[] = [];
  await editConfig(file, (cfg) => {
    const remote = { ...lookupRemote(cfg, name, file) };
    for (const { key, text } of changes) {
      if (text === '') delete remote[key];
      else remote[key] = settingValue(key === 'type' ? text : remote.type, key, text);
      shown.push(text === '' ? `${key} removed` : `${key} = ${isSecretSetting(key, remote.type) ? maskSecret(text) : JSON.stringify(remote[key])}`);
    }
    validateRemote(name, remote);
    cfg.remotes[name] = remote;
  });
  out(`remote "${name}": ${shown.join(', ')}`);
}

const warnStderr = (l: string) => process.stderr.write(l);

async function readSecretValue(key: string, src: SecretSources): Promise<string> {
  const term = src.term ?? new Prompter(process.stdin, process.stderr);
  try {
    const v = (await term.secret(`${key}: `))?.trim();
    if (!v) throw new ConfigError(`no value for "${key}" was given on stdin (to remove the key, pass "${key}=")`);
    return v;
  } finally {
    if (!src.term) term.close();
  }
}
