import path from 'node:path';
import type { Command } from 'commander';
import { parseRemoteSpec } from '../config/remote-spec.js';
import { readMounts } from '../fuse/mountinfo.js';
import { ConfigError } from '../util/errors.js';
import { createLogger } from '../util/log.js';
import { defaultCacheDir } from '../util/paths.js';
import { Journal } from '../vfs/journal/journal.js';
import { recoverStaged, type RecoveredFile } from '../vfs/journal/recovery.js';
import { openRemote } from './open-remote.js';
import { askStatus } from './status-socket.js';
import { holdCacheFolder } from './cache-folder-lock.js';

export interface RecoverOptions {
  upload: string[];
  discard: string[];
  json?: boolean;
  cacheDir?: string;
  logLevel: string;
  logFormat?: string;
}

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(`${l}\n`);

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerRecoverCommand(program: Command): void {
  program
    .command('recover')
    .description('deal with what a crashed mount left in the cache folder, without mounting: commit closed files (resuming their uploads), list the others')
    .argument('<remote>', 'the remote as it was mounted (REMOTE or REMOTE:/folder)')
    .option('--upload <path>', 'also upload this file, which its program had not closed (repeatable; a path inside the mount)', collect, [])
    .option('--discard <path>', 'delete the staged copy of this file instead (repeatable)', collect, [])
    .option('--cache-dir <dir>', 'the cache folder the mount used (default $XDG_CACHE_HOME/drivemount/REMOTE)')
    .option('--json', 'one JSON document on stdout, for scripts')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'warn')
    .option('--log-format <format>', 'auto (text on a terminal, else JSON), json or text', 'auto')
    .action(async (remote: string, o: RecoverOptions) => {
      process.exitCode = await recoverCommand(remote, program.opts().config, o);
    });
}

/** Exit code: 0 unless an upload failed (files kept for a decision are not failures). */
export async function recoverCommand(spec: string, config: string | undefined, o: RecoverOptions, out: Out = stdout): Promise<number> {
  const log = createLogger({ level: o.logLevel as 'warn', format: o.logFormat });
  const cacheDir = o.cacheDir ? path.resolve(o.cacheDir) : defaultCacheDir(parseRemoteSpec(spec).name);
  const asMountPath = (p: string) => '/' + p.replace(/^\/+/, '').replace(/\/+$/, '');
  // A running mount of the remote owns its cache folder: two uploaders of one record would race.
  const name = parseRemoteSpec(spec).name;
  for (const m of (await readMounts()).filter((x) => x.source === `drivemount:${name}`)) {
    const st = (await askStatus(m.mountpoint, 2000).catch(() => undefined)) as { cacheDir?: string } | undefined;
    if (st?.cacheDir === cacheDir) throw new ConfigError(`remote "${name}" is mounted at ${m.mountpoint} with this cache folder: that mount recovers its files itself (see drivemount status); unmount it to run recover`);
  }
  const releaseCache = await holdCacheFolder(cacheDir);
  const r = await openRemote(spec, config, log).catch(async (e: unknown) => {
    await releaseCache();
    throw e;
  });
  let files: RecoveredFile[];
  try {
    files = await recoverStaged(
      { drive: r.drive, journal: new Journal(cacheDir, spec, log), log },
      { upload: new Set(o.upload.map(asMountPath)), discard: new Set(o.discard.map(asMountPath)) },
    );
  } finally {
    await r.drive.close();
    await r.http.close();
    await releaseCache();
  }
  if (o.json) out(JSON.stringify({ remote: spec, cacheDir, files }, null, 2));
  else if (files.length === 0) out(`nothing to recover in ${cacheDir}`);
  else for (const f of files) out(describe(f));
  return files.some((f) => f.outcome === 'failed') ? 1 : 0;
}

function describe(f: RecoveredFile): string {
  const what = f.path ?? '(unknown path)';
  switch (f.outcome) {
    case 'uploaded':
      return `committed     ${what}${f.resumedFrom ? ` (resumed at byte ${f.resumedFrom})` : ''}`;
    case 'conflict':
      return `conflict      ${what} changed on the service; ours committed as ${f.committedAs}`;
    case 'already-committed':
      return `committed     ${what} (the service already had it)`;
    case 'kept-unclosed':
      return `kept          ${what}: ${f.reason ?? 'not closed when the mount stopped'} (${f.size} bytes in ${f.staged}); --upload or --discard it`;
    case 'failed':
      return `failed        ${what}: ${f.reason} (kept in ${f.staged})`;
    case 'damaged':
      return `damaged       record of ${f.staged}: ${f.reason} (the staged file is kept)`;
    case 'unrecorded':
      return `unrecorded    ${f.staged} (kept, no record says where it belongs)`;
    case 'discarded':
      return `discarded     ${what}`;
    case 'missing':
      return `missing       ${what}: its staged file was gone (record dropped)`;
  }
}
