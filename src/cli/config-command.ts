import type { Command } from 'commander';
import { editConfig, readConfigOrEmpty, resolveConfigPath } from '../config/config-file.js';
import { lookupRemote } from '../config/remote-spec.js';
import { isSecretSetting, maskedRemote, maskSecret } from '../config/secrets.js';
import { settingValue, validateRemote } from '../drives/create-drive.js';
import { DRIVERS, findDriver } from '../drives/registry.js';
import { remoteTypesHelp } from './types-help.js';
import { ConfigError } from '../util/errors.js';

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
    .description('change settings: drivemount config set NAME key=value … (key= removes the key)')
    .argument('<name>')
    .argument('<settings...>', 'key=value pairs')
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

/** Apply `key=value` pairs, validate the result as a whole, and only then write it. */
export async function configSet(file: string, name: string, pairs: string[], out: Out = stdout): Promise<void> {
  const changes = pairs.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new ConfigError(`"${p}" is not key=value`);
    return { key: p.slice(0, i).trim(), text: p.slice(i + 1) };
  });
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
