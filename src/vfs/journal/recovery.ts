import { promises as fs } from 'node:fs';
import type { Drive, RemoteEntry, UploadSession } from '../../drives/types.js';
import { DriveError, toDriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { snapshotOf } from '../write/staged-file.js';
import { conflictPath } from './conflict-name.js';
import { bootId } from '../../util/boot-id.js';
import type { Journal, JournalScan } from './journal.js';
import { sameContent } from './local-hash.js';
import type { BaseVersion, JournalRecord } from './record.js';

export type RecoveryOutcome =
  /** Committed at its path (resumed where the service stood, or sent again). */
  | 'uploaded'
  /** The service's file changed meanwhile: ours was committed beside it under `committedAs`. */
  | 'conflict'
  /** The service already held these bytes (the upload ended just before the crash). */
  | 'already-committed'
  /** Its program had not closed it: kept, waiting for `recover --upload` or `--discard`. */
  | 'kept-unclosed'
  /** The upload failed again: kept, with the reason. */
  | 'failed'
  /** Its record cannot be read: the staged file is kept untouched. */
  | 'damaged'
  /** A staged file without any record: kept untouched. */
  | 'unrecorded'
  | 'discarded'
  /** The record's staged file is gone: the record was dropped. */
  | 'missing';

export interface RecoveredFile {
  outcome: RecoveryOutcome;
  /** The mount path (unknown for damaged and unrecorded files). */
  path?: string;
  /** Where the bytes are (or were) kept. */
  staged: string;
  size?: number;
  committedAs?: string;
  /** Bytes the upload had to send (the rest the service already held). */
  resumedFrom?: number;
  reason?: string;
}

export interface RecoveryChoices {
  /** Upload these paths even though their program never closed them. */
  upload?: ReadonlySet<string>;
  /** Delete the staged copies of these paths. */
  discard?: ReadonlySet<string>;
  /** Told of each file committed (so a running mount's listings show it). */
  committed?: (path: string, entry: RemoteEntry) => void;
  now?: () => Date;
}

/**
 * What a crash left in the cache folder, dealt with: complete files are committed (their upload
 * resumed where the service stands), files never closed are kept and listed, damaged records
 * and unrecorded staged files are kept and reported. Nothing is ever deleted that the user did
 * not ask to discard and the service does not hold.
 */
export async function recoverStaged(
  deps: { drive: Drive; journal: Journal; log: Logger },
  choices: RecoveryChoices = {},
  /** Taken beforehand (before a mount adds staged files of its own); else now. */
  scanned?: JournalScan,
): Promise<RecoveredFile[]> {
  const { journal, log } = deps;
  // Half-written copies of records are dropped only while nothing else writes records here.
  if (!scanned) await journal.dropTemporaries();
  const scan = scanned ?? (await journal.scan());
  const out: RecoveredFile[] = [];
  for (const d of scan.damaged) {
    const exists = await fs.stat(d.staged).then(() => true, () => false);
    log.warn({ record: d.record, kept: exists ? d.staged : undefined }, `a journal record cannot be read (${d.reason}): ${exists ? `its staged file ${d.staged} is kept` : 'it names no staged file'}; nothing was uploaded for it`);
    out.push({ outcome: 'damaged', staged: d.staged, reason: d.reason });
  }
  for (const staged of scan.unrecorded) {
    log.warn({ kept: staged }, `a staged file has no journal record: ${staged} is kept, nothing was uploaded for it`);
    out.push({ outcome: 'unrecorded', staged });
  }
  if (scan.otherRemotes > 0) log.info({ records: scan.otherRemotes }, 'journal records of other remotes in this cache folder were left alone');
  // Newest first: of two records of one path the latest bytes take the name, older ones (their
  // base is no longer what the service holds) become conflict copies beside it.
  const newestFirst = [...scan.records].sort((a, b) => b.record.updatedMs - a.record.updatedMs);
  for (const { record, staged } of newestFirst) {
    out.push(await recoverOne(deps, record, staged, choices).catch((e: unknown) => {
      const err = toDriveError(e);
      log.error({ path: record.path, errno: err.code, kept: staged }, `recovering ${record.path} failed: ${err.message} — the data written is kept in ${staged}`);
      return { outcome: 'failed' as const, path: record.path, staged, size: record.size, reason: err.message };
    }));
  }
  return out;
}

async function recoverOne(deps: { drive: Drive; journal: Journal; log: Logger }, r: JournalRecord, staged: string, choices: RecoveryChoices): Promise<RecoveredFile> {
  const { drive, journal, log } = deps;
  const st = await fs.stat(staged).catch(() => undefined);
  if (!st) {
    await journal.remove(staged);
    log.warn({ path: r.path }, `${r.path}: its staged file ${staged} is gone; the record was dropped`);
    return { outcome: 'missing', path: r.path, staged };
  }
  const size = st.size;
  if (choices.discard?.has(r.path)) {
    await fs.rm(staged, { force: true });
    await journal.remove(staged);
    log.info({ path: r.path, staged }, `${r.path}: the staged copy was discarded as asked`);
    return { outcome: 'discarded', path: r.path, staged, size };
  }
  if (!r.complete && !choices.upload?.has(r.path)) {
    log.warn({ path: r.path, kept: staged }, `${r.path} was still open when the mount stopped: its ${size} bytes are kept in ${staged}, not uploaded (drivemount recover --upload ${r.path} or --discard ${r.path})`);
    return { outcome: 'kept-unclosed', path: r.path, staged, size };
  }
  if (r.complete && r.dataSynced === false && !choices.upload?.has(r.path) && (r.bootId === undefined || r.bootId !== bootId())) {
    // Sync mode sends staged bytes from the page cache without flushing them first; the machine
    // restarted since, so what the disk holds may be torn. Nothing was promised (close() had not
    // returned): keep it, like a file still open at the crash, for the user to decide.
    const reason = 'its upload was under way when the machine restarted; the staged bytes had not been flushed to disk and may be incomplete';
    log.warn({ path: r.path, kept: staged }, `${r.path}: ${reason}: its ${size} bytes are kept in ${staged}, not uploaded (drivemount recover --upload ${r.path} or --discard ${r.path})`);
    return { outcome: 'kept-unclosed', path: r.path, staged, size, reason };
  }
  const writer = drive.writer;
  if (!writer) throw new DriveError('EROFS', `remote "${drive.name}" cannot be written to`);
  const current = await drive.stat(r.path).catch((e: unknown) => {
    if (e instanceof DriveError && e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (current && (await sameContent(staged, size, current, drive.capabilities.hash))) {
    await finish(journal, staged);
    log.info({ path: r.path }, `${r.path}: the service already holds the recovered bytes`);
    choices.committed?.(r.path, current);
    return { outcome: 'already-committed', path: r.path, staged, size };
  }
  if (current?.isDir) throw new DriveError('EISDIR', `${r.path} is a folder on the service now`);
  const conflict = changedSince(r.base, current, drive.capabilities.writeIdsProvisional === true);
  const target = conflict
    ? await conflictPath(r.path, (choices.now ?? (() => new Date()))(), (p) =>
        drive.stat(p).then(
          () => true,
          (e: unknown) => {
            // Only "no such file" frees a name; a failed call must not let us overwrite one.
            if (e instanceof DriveError && e.code === 'ENOENT') return false;
            throw e;
          },
        ))
    : r.path;
  // A session belongs to the path (and bytes) it was opened for.
  let session: UploadSession | undefined = !conflict && r.upload?.path === r.path ? r.upload.session : undefined;
  if (!writer.resumeUpload) session = undefined;
  await journal.save(staged, { ...r, state: 'committing', complete: true });
  let resumedFrom: number | undefined;
  const fh = await fs.open(staged, 'r');
  let entry: RemoteEntry;
  try {
    let first: number | undefined;
    const src = snapshotOf(fh, size, (n) => {
      first ??= n; // the first progress report of a resumed upload is where the service stood
    });
    const opts = {
      mtimeMs: r.pendingMtimeMs,
      replaces: conflict ? undefined : current,
      onSession: (s: UploadSession) => void journal.save(staged, { ...r, state: 'committing', complete: true, upload: { path: target, session: s } }),
    };
    entry = session ? await writer.resumeUpload!(target, src, session, opts) : await writer.upload(target, src, opts);
    resumedFrom = session && first !== undefined && first < size ? first : undefined;
  } catch (e) {
    await journal.save(staged, { ...r, state: 'failed', complete: true });
    throw e;
  } finally {
    await fh.close();
  }
  await finish(journal, staged);
  choices.committed?.(target, entry);
  if (conflict) {
    log.warn({ path: r.path, committedAs: target }, `${r.path} changed on the service while the mount was down: the recovered bytes were committed as ${target}, beside it`);
    return { outcome: 'conflict', path: r.path, staged, size, committedAs: target };
  }
  log.info({ path: r.path, bytes: size, resumedFrom }, `${r.path}: recovered after a crash and committed`);
  return { outcome: 'uploaded', path: r.path, staged, size, resumedFrom };
}

/** The service's file is no longer the one the staged bytes were based on. */
export function changedSince(base: BaseVersion | undefined, now: RemoteEntry | undefined, idsProvisional = false): boolean {
  if (!now) return false; // gone: writing ours there overwrites nothing
  if (!base) return true; // a file appeared where ours was new
  // A driver whose writes answer in other ids than its listings (a share) cannot be judged by id:
  // its size and time (and a version, where both sides have one) decide.
  if (now.id !== base.id && !idsProvisional) return true;
  if (base.version !== undefined && now.version !== undefined) return base.version !== now.version;
  return now.size !== base.size || now.mtimeMs !== base.mtimeMs;
}

/** Committed: the staged copy goes first, so a crash between the two leaves a record that the next scan drops as "missing", never a staged file without a record (reported at every mount). */
async function finish(journal: Journal, staged: string): Promise<void> {
  await fs.rm(staged, { force: true });
  await journal.remove(staged);
}
