import type { Command } from 'commander';
import { parseRemoteSpec } from '../config/remote-spec.js';
import type { RemoteEntry } from '../drives/types.js';
import { createLogger } from '../util/log.js';
import { describeSpace } from './format.js';
import { openRemote } from './open-remote.js';

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(`${l}\n`);

/** `about` and `ls`: quick checks that a remote works, without mounting it. */
export function registerInspectCommands(program: Command): void {
  program
    .command('about')
    .description("the remote's account, drive type and space (checks that its credentials work)")
    .argument('<remote>')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'warn')
    .option('--log-format <format>', 'auto (text on a terminal, else JSON), json or text', 'auto')
    .action(async (remote: string, o: { logLevel: string; logFormat: string }) => aboutCommand(remote, program.opts().config, o.logLevel, stdout, o.logFormat));
  program
    .command('ls')
    .description('list one folder of a remote (REMOTE or REMOTE:/path) with one listing, no mount')
    .argument('<remote>')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'warn')
    .option('--log-format <format>', 'auto (text on a terminal, else JSON), json or text', 'auto')
    .action(async (remote: string, o: { logLevel: string; logFormat: string }) => lsCommand(remote, program.opts().config, o.logLevel, stdout, o.logFormat));
}

export async function aboutCommand(spec: string, config: string | undefined, logLevel = 'warn', out: Out = stdout, logFormat?: string): Promise<void> {
  const log = createLogger({ level: logLevel as 'warn', format: logFormat });
  const r = await openRemote(parseRemoteSpec(spec).name, config, log);
  try {
    const a = await r.drive.about();
    out(`remote:   ${r.name}`);
    out(`account:  ${a.account ?? 'unknown'}`);
    out(`drive:    ${a.driveType ?? 'unknown'}${a.driveId ? ` (id ${a.driveId})` : ''}`);
    out(`space:    ${describeSpace(a.quota)}`);
  } finally {
    await r.drive.close();
    await r.http.close();
  }
}

export async function lsCommand(spec: string, config: string | undefined, logLevel = 'warn', out: Out = stdout, logFormat?: string): Promise<void> {
  const { name, subPath } = parseRemoteSpec(spec);
  const log = createLogger({ level: logLevel as 'warn', format: logFormat });
  const r = await openRemote(name, config, log);
  try {
    const before = r.http.stats.requests;
    const target = subPath === '/' ? undefined : await r.drive.stat(subPath);
    const entries = target && !target.isDir ? [target] : await r.drive.list(subPath, target);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const width = Math.max(1, ...entries.map((e) => String(e.size).length));
    for (const e of entries) out(formatEntry(e, width));
    process.stderr.write(`${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, ${r.http.stats.requests - before} requests\n`);
  } finally {
    await r.drive.close();
    await r.http.close();
  }
}

function formatEntry(e: RemoteEntry, width: number): string {
  const when = e.mtimeMs ? new Date(e.mtimeMs).toISOString().slice(0, 16).replace('T', ' ') : '                ';
  return `${e.isDir ? 'd' : '-'} ${String(e.isDir ? '-' : e.size).padStart(width)}  ${when}  ${e.name}${e.isDir ? '/' : ''}`;
}
