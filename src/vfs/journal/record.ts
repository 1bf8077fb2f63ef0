import type { UploadSession } from '../../drives/types.js';

/** A record sits beside its staged file: `<staged>` + this. No staging name ends so ('#' is never kept in one). */
export const RECORD_SUFFIX = '#journal.json';
export const RECORD_VERSION = 1;

/** The remote item a staged file started from (what "changed meanwhile" is judged against). */
export interface BaseVersion {
  id: string;
  /** OneDrive cTag/eTag, Aliyundrive content hash. */
  version?: string;
  size: number;
  mtimeMs: number;
}

/** States worth a record: the staged bytes differ from the service's. */
export type RecordedState = 'dirty' | 'committing' | 'failed';

export interface JournalRecord {
  v: typeof RECORD_VERSION;
  /** The remote spec it was mounted as (`NAME` or `NAME:/sub`): paths are relative to it. */
  remote: string;
  /** Mount path the bytes belong at. */
  path: string;
  /** The staged file's name in the cache folder. */
  staged: string;
  /** Absent for a file that did not exist on the service. */
  base?: BaseVersion;
  size: number;
  mtimeMs: number;
  /** A time set by utimens, to go with the upload. */
  pendingMtimeMs?: number;
  state: RecordedState;
  /** The program asked for these bytes to be committed (close or fsync): they may be uploaded without asking. */
  complete: boolean;
  /**
   * false: the staged bytes were not flushed to the local disk (sync mode uploads them straight
   * from the page cache, and close() promised nothing before the service had them). They are
   * whole only within the boot named by `bootId`. Absent: flushed (write-back mode, and records
   * of older versions).
   */
  dataSynced?: boolean;
  /** The machine's boot the record was written in (see util/boot-id). */
  bootId?: string;
  /** The upload under way, and the path it was started for. */
  upload?: { path: string; session: UploadSession };
  updatedMs: number;
}

/** A record that cannot be trusted: its staged data is kept and reported, never uploaded or removed. */
export class DamagedRecord extends Error {}

const STATES: readonly string[] = ['dirty', 'committing', 'failed'];

/** Parse and check a record's text; DamagedRecord says what is wrong. */
export function parseRecord(text: string): JournalRecord {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new DamagedRecord(text.length === 0 ? 'empty' : 'truncated or not JSON');
  }
  if (!r || typeof r !== 'object') throw new DamagedRecord('not an object');
  if (r.v !== RECORD_VERSION) throw new DamagedRecord(`unknown record version ${JSON.stringify(r.v)}`);
  const str = (k: string) => typeof r[k] === 'string' && (r[k] as string).length > 0;
  const num = (k: string) => typeof r[k] === 'number' && Number.isFinite(r[k]);
  if (!str('remote') || !str('path') || !str('staged')) throw new DamagedRecord('remote, path or staged name missing');
  if (!(r.path as string).startsWith('/')) throw new DamagedRecord('path is not absolute');
  if ((r.staged as string).includes('/')) throw new DamagedRecord('staged name is not a plain name');
  if (!num('size') || !num('mtimeMs')) throw new DamagedRecord('size or mtime missing');
  if (typeof r.state !== 'string' || !STATES.includes(r.state)) throw new DamagedRecord(`unknown state ${JSON.stringify(r.state)}`);
  if (typeof r.complete !== 'boolean') throw new DamagedRecord('complete flag missing');
  if (r.base !== undefined) {
    const b = r.base as Record<string, unknown>;
    if (!b || typeof b.id !== 'string' || typeof b.size !== 'number' || typeof b.mtimeMs !== 'number') throw new DamagedRecord('base version malformed');
  }
  if (r.dataSynced !== undefined && typeof r.dataSynced !== 'boolean') throw new DamagedRecord('dataSynced flag malformed');
  if (r.bootId !== undefined && typeof r.bootId !== 'string') throw new DamagedRecord('boot id malformed');
  if (r.upload !== undefined && !validUpload(r.upload)) throw new DamagedRecord('upload session malformed');
  return r as unknown as JournalRecord;
}

function validUpload(u: unknown): boolean {
  const x = u as { path?: unknown; session?: Record<string, unknown> };
  if (!x || typeof x.path !== 'string' || !x.session) return false;
  const s = x.session;
  if (s.kind === 'onedrive') return typeof s.url === 'string';
  if (s.kind === 'aliyundrive') return typeof s.fileId === 'string' && typeof s.uploadId === 'string' && typeof s.partSize === 'number' && typeof s.partsDone === 'number';
  return false;
}
