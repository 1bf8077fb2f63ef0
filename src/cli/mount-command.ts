import path from 'node:path';
import type { LevelWithSilent } from 'pino';
import { buildOperations } from '../fuse/operations.js';
import { mountFuse } from '../fuse/mount.js';
import { ConfigError, DriveError } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { DEFAULT_VFS_OPTIONS, Vfs } from '../vfs/vfs.js';
import { DEFAULT_PREFETCH } from '../vfs/prefetch/prefetcher.js';
import { openRemote } from './open-remote.js';
import { handlesRemovedOpenFiles, utimensPassesMtime } from '../fuse/binding.js';
import { MountStats } from './mount-stats.js';
import { positive, seconds } from './option-numbers.js';
import { reportMounted } from './daemon.js';
import { defaultCacheDir } from '../util/paths.js';
import { shownOwner } from './owner-options.js';
import { ReadCache } from '../vfs/read-cache/read-cache.js';
import { recoverStaged, type RecoveredFile } from '../vfs/journal/recovery.js';
import type { JournalScan } from '../vfs/journal/journal.js';
import { serveStatus } from './status-socket.js';
import { holdCacheFolder } from './cache-folder-lock.js';
import type { MountStatus } from './status-command.js';

export interface MountCommandOptions {
  config?: string;
  readOnly?: boolean;
  dirCacheTime: string;
  /** Seconds between polls of the drive's change feed (0: none). */
  pollInterval?: string;
  /** Listings fetched at once ahead of a tree walk (0: none). */
  walkAhead?: string;
  attrTimeout: string;
  readAheadMemory: string;
  maxReadAhead: string;
  kernelReadAhead: string;
  logLevel: string;
  logFile?: string;
  logFormat?: string;
  cacheDir?: string;
  chunkSize: string;
  allowOther?: boolean;
  /** Shown owner, group (decimal ids) and umask (octal) of every entry. */
  uid?: string;
  gid?: string;
  umask?: string;
  debugFuse?: boolean;
  noexec?: boolean;
  bigWrites?: boolean;
  pinFuseThreads?: boolean;
  /** Seconds between stats lines (0 or absent: none; SIGUSR1 and upload progress lines still work). */
  stats?: string;
  /** off: reads go to the service (and memory) only; full: read bytes are also kept on disk. */
  cacheMode?: string;
  /** Largest size of the on-disk read cache (MiB). */
  readCacheSize?: string;
  /** Free space the read cache leaves on its filesystem (MiB). */
  readCacheMinFree?: string;
  /** Write-back: true (default delay) or the seconds between close() and the upload. */
  writeBack?: boolean | string;
  /** Seconds an unmount waits for write-back uploads (then leaves them for the next mount). */
  shutdownTimeout?: string;
  /** Write-back: MiB of files waiting for upload past which close() waits. */
  cacheMaxSize?: string;
}

const MiB = 1 << 20;

/** Mount and run in the foreground until unmounted or signalled. Resolves with the exit code. */
export async function mountCommand(spec: string, mountpoint: string, o: MountCommandOptions, existingLog?: Logger): Promise<number> {
  const log = existingLog ?? createLogger({ level: o.logLevel as LevelWithSilent, destination: o.logFile, format: o.logFormat });
  const chunkSize = positive(o.chunkSize, '--chunk-size') * MiB;
  const statsEverySec = o.stats ? seconds(o.stats, '--stats') : 0; // checked before anything is mounted
  const writeBackSec = o.writeBack === undefined || o.writeBack === false ? undefined : o.writeBack === true ? 5 : seconds(o.writeBack, '--write-back');
  const shutdownSec = seconds(o.shutdownTimeout ?? '60', '--shutdown-timeout');
  const owner = shownOwner(o);
  const remote = await openRemote(spec, o.config, log, { chunkSize });
  const readOnly = o.readOnly === true || !remote.drive.writer;
  if (!o.readOnly && !remote.drive.writer) log.info(`remote "${remote.name}" cannot be written to: mounting read-only`);
  if (!readOnly && !(utimensPassesMtime() && handlesRemovedOpenFiles())) {
    log.warn('the FUSE binding is unpatched (run npm run setup): times set by touch/cp -p/rsync may be wrong, and a folder holding a removed, still-open file cannot be removed until it is closed');
  }
  const cacheDir = o.cacheDir ? path.resolve(o.cacheDir) : defaultCacheDir(remote.name);
  // Staged files and their records have one owner: two processes recovering or uploading the
  // same records would race (and one could delete what the other still uses).
  const releaseCache = readOnly ? undefined : await holdCacheFolder(cacheDir);
  const readCache = await openReadCache(o, cacheDir, log);
  const vfs = new Vfs(remote.drive, log, {
    ...DEFAULT_VFS_OPTIONS,
    readOnly,
    readCache,
    cacheDir,
    journalRemote: readOnly ? undefined : spec,
    writeBackMs: readOnly || writeBackSec === undefined ? undefined : writeBackSec * 1000,
    writeBackMaxBytes: positive(o.cacheMaxSize ?? '10240', '--cache-max-size') * MiB,
    pathlessHandles: handlesRemovedOpenFiles(),
    dirCacheTtlMs: seconds(o.dirCacheTime, '--dir-cache-time') * 1000,
    pollIntervalMs: seconds(o.pollInterval ?? '60', '--poll-interval') * 1000,
    walkAheadListings: o.walkAhead === '0' ? 0 : positive(o.walkAhead ?? '8', '--walk-ahead'),
    readAheadMemory: positive(o.readAheadMemory, '--read-ahead-memory') * MiB,
    prefetch: { ...DEFAULT_PREFETCH, maxWindow: positive(o.maxReadAhead, '--max-read-ahead') * MiB },
  });

  let fatal: DriveError | undefined;
  let stop!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (stop = resolve));
  const ops = buildOperations({
    vfs,
    log,
    stat: { ...owner, readOnly },
    utimensHasMtime: utimensPassesMtime(),
    onFatal: (e) => {
      if (fatal) return;
      fatal = e;
      log.error(e.message);
      stop(1);
    },
  });
  // What a crash left behind is looked at before the mount adds staged files of its own.
  const journal = vfs.journal;
  await journal?.dropTemporaries();
  const leftBehind = journal ? await journal.scan() : undefined;
  // Held before the mount serves: a program must not write a path recovery is about to commit.
  const recoveryHold = leftBehind && hasWork(leftBehind) ? vfs.holdForRecovery(leftBehind.records.map((r) => r.record.path)) : undefined;
  const mounted = await mountFuse(
    ops,
    {
      mountpoint: path.resolve(mountpoint),
      fsName: `drivemount:${remote.name}`,
      readOnly,
      readAheadKb: positive(o.kernelReadAhead, '--kernel-read-ahead'),
      attrTimeoutSec: seconds(o.attrTimeout, '--attr-timeout'),
      allowOther: o.allowOther ?? false,
      debug: o.debugFuse ?? false,
      noexec: o.noexec === true,
      bigWrites: o.bigWrites !== false,
      pinThreads: o.pinFuseThreads !== false,
    },
    log,
  );
  log.info({ remote: spec, mountpoint: mounted.mountpoint }, 'mounted');
  const stats = new MountStats({ vfs, http: remote.http }, log);
  stats.start({ intervalSec: statsEverySec });
  reportMounted(mounted.mountpoint);
  const recovered: { running: boolean; files: RecoveredFile[] } = { running: false, files: [] };
  const recovery = journal && leftBehind && hasWork(leftBehind)
    ? (recovered.running = true,
      recoverStaged(
        { drive: remote.drive, journal, log },
        {
          committed: (p, e) => {
            vfs.learnCommitted(p, e);
            recoveryHold?.done(p);
          },
        },
        leftBehind,
      )
        .then((files) => {
          recovered.files = files;
          log.info({ files: files.length, outcomes: countOutcomes(files) }, 'recovery after a crash finished');
        })
        .catch((e: unknown) => log.error({ err: (e as Error).message }, `recovery after a crash failed: ${(e as Error).message}`))
        .finally(() => {
          recovered.running = false;
          recoveryHold?.all();
        }))
    : undefined;
  const status = await serveStatus(mounted.mountpoint, () => statusReport(spec, mounted.mountpoint, cacheDir, vfs, recovered), log).catch((e: unknown) => {
    log.warn({ err: (e as Error).message }, `drivemount status will not reach this mount: ${(e as Error).message}`);
    return undefined;
  });

  const onSignal = (sig: string) => {
    log.info({ signal: sig }, 'unmounting');
    stop(0);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // `drivemount unmount --force`: the unmount that follows does not wait for write-back uploads.
  let noWait = false;
  const onForce = () => {
    noWait = true;
    log.info('unmount --force: queued write-back uploads are left for the next mount');
  };
  process.on('SIGUSR2', onForce);
  mounted.gone.then(() => {
    log.info({ mountpoint: mounted.mountpoint }, 'unmounted from outside; exiting');
    stop(0);
  });

  const code = await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGUSR2', onForce);
  stats.stop();
  void recovery; // an unfinished recovery leaves its records for the next mount
  await mounted.unmount();
  // Write-back: what close() queued goes up now, for a while; the rest stays journaled.
  const left = await vfs.drainWriteBack(noWait ? 0 : shutdownSec * 1000);
  if (left > 0) log.warn({ files: left }, `${left} write-back upload(s) ${noWait ? 'left by unmount --force' : `not finished within --shutdown-timeout ${shutdownSec} s`}: they are kept in ${cacheDir} and go up at the next mount of ${spec}`);
  await status?.close();
  await vfs.close();
  await remote.drive.close(); // a rotated token still unsaved gets its last try here
  await remote.http.close();
  await releaseCache?.();
  return code;
}




/** `--cache-mode full`: the on-disk read cache in the cache folder's `read-cache` (kept across mounts). */
async function openReadCache(o: MountCommandOptions, cacheDir: string, log: Logger): Promise<ReadCache | undefined> {
  const mode = o.cacheMode ?? 'off';
  if (mode !== 'off' && mode !== 'full') throw new ConfigError(`--cache-mode takes off or full, got "${mode}"`);
  const maxBytes = positive(o.readCacheSize ?? '10240', '--read-cache-size') * MiB;
  const minFreeBytes = seconds(o.readCacheMinFree ?? '1024', '--read-cache-min-free') * MiB;
  if (mode === 'off') return undefined;
  return ReadCache.open({ dir: path.join(cacheDir, 'read-cache'), maxBytes, minFreeBytes }, log);
}

function hasWork(scan: JournalScan): boolean {
  return scan.records.length + scan.damaged.length + scan.unrecorded.length > 0;
}

export function countOutcomes(files: RecoveredFile[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of files) out[f.outcome] = (out[f.outcome] ?? 0) + 1;
  return out;
}

/** What `drivemount status` shows of this mount. */
function statusReport(remote: string, mountpoint: string, cacheDir: string, vfs: Vfs, recovered: { running: boolean; files: RecoveredFile[] }): MountStatus {
  const now = Date.now();
  return {
    remote,
    mountpoint,
    cacheDir,
    pid: process.pid,
    mode: vfs.opts.writeBackMs === undefined ? 'sync' : 'write-back',
    uploads: vfs.uploadsInFlight().map((u) => {
      const ms = Math.max(1, now - u.startedMs);
      return { path: u.path, size: u.size, committed: u.committed, percent: u.size ? Math.floor((u.committed * 100) / u.size) : 100, bytesPerSec: Math.round((u.committed * 1000) / ms), seconds: Math.round(ms / 1000) };
    }),
    queued: vfs.writeBackQueue(),
    failed: vfs.uploadFailures().map((f) => ({ path: f.path, reason: f.reason, errno: f.errno, kept: f.kept })),
    recovery: {
      running: recovered.running,
      files: recovered.files.map((f) => ({ outcome: f.outcome, path: f.path, staged: f.staged, size: f.size, committedAs: f.committedAs, reason: f.reason })),
    },
  };
}
