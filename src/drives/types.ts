/**
 * The small interface every cloud drive implements. Paths are POSIX paths relative to the
 * remote's configured root ("/" is the root of what gets mounted). Errors are DriveError.
 */

export interface RemoteEntry {
  /** The service's stable id for the item. */
  id: string;
  name: string;
  isDir: boolean;
  size: number;
  /** Modification time as the user set it (fileSystemInfo on OneDrive), ms since epoch. */
  mtimeMs: number;
  /** Creation time, ms since epoch. */
  birthtimeMs: number;
  /** Content hashes the service reports, by algorithm name. */
  hashes?: { quickXor?: string; sha1?: string; sha256?: string };
  /** The item's content version as the service reports it (opaque: OneDrive cTag, else eTag; Aliyundrive content_hash): it changes when the bytes do. */
  version?: string;
  /** A pre-authenticated download link that came with the listing, if the service gives one. */
  link?: DownloadLink;
  /** The service cannot take writes to this item through the mount (e.g. a live photo's stream). */
  readOnly?: boolean;
  /**
   * The listing left `size` out because learning it costs a call per item (Aliyundrive's live
   * photos): `Drive.learnSize` gives it, and the VFS asks before the entry is shown or read.
   */
  sizeUnknown?: boolean;
}

export interface DownloadLink {
  url: string;
  /** When we stop trusting the link (ms since epoch). Links are re-resolved on 401/403 anyway. */
  expiresAt: number;
  /** Headers the storage host requires on the GET besides Range (e.g. a Referer), if any. */
  headers?: Record<string, string>;
}

export interface Quota {
  total?: number;
  used?: number;
  free?: number;
}

/** What `drivemount about` shows: whose drive it is, of which kind, and its space. */
export interface DriveAbout {
  account?: string;
  driveType?: string;
  driveId?: string;
  quota: Quota;
}

/** Optional abilities a driver declares rather than fakes. */
export interface DriveCapabilities {
  /** Names are case-insensitive on the service (a lookup of "A" finds "a"). */
  caseInsensitive: boolean;
  /** Listings carry download links, so reading a listed file needs no extra call. */
  linksInListing: boolean;
  /** Hash algorithm whose value the service reports for files. */
  hash?: 'quickXor' | 'sha1' | 'sha256';
  /** One call finds an item by path. Without it, a lookup lists the parent folder (which names all siblings at once). */
  pathLookup: boolean;
  /** The largest file the service (and this driver's uploads) can hold, in bytes; larger sizes are EFBIG before anything is staged. */
  maxFileBytes?: number;
  /**
   * The id a write returns may not be the id a later stat or listing gives the same item (a
   * share's writes answer in the drive's ids, its listings in the list's): such an id reads and
   * writes the item, but an id from a write and one from a listing are never compared.
   */
  writeIdsProvisional?: boolean;
}

/** Bytes to upload, read on demand (from a staged local file) so memory stays bounded. */
export interface UploadSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (a shorter result only at the end). */
  read(offset: number, length: number, into?: Buffer): Promise<Buffer>;
  /** Told, as the service acknowledges them, how many bytes it now holds (for progress lines). */
  progress?(committedBytes: number): void;
}

/**
 * Where an upload stands on the service, enough for another process to go on with it. The
 * OneDrive URL is pre-authenticated: it is a secret (kept in a 0600 file, never logged).
 */
export type UploadSession =
  | { kind: 'onedrive'; url: string; expiresAtMs?: number }
  | { kind: 'aliyundrive'; fileId: string; uploadId: string; partSize: number; /** Parts 1..partsDone are on the service. */ partsDone: number };

export interface UploadOptions {
  mtimeMs?: number;
  /** The file now at `path`, if any (services that allow two files of one name need it). */
  replaces?: RemoteEntry;
  /** Told when a resumable session starts and as it advances, so a journal can keep it. */
  onSession?(s: UploadSession): void;
}

/**
 * Changing the drive. A driver without it is read-only (share links, for instance): the mount
 * answers EROFS rather than pretending.
 */
export interface DriveWriter {
  /** Refuse a name the service would refuse, before any data is written (DriveError EINVAL/ENAMETOOLONG). */
  checkName(path: string): void;
  /**
   * Create or replace a file with `src`'s bytes; resolves once the service has committed them.
   * `replaces` is the file now at `path`, if any (services that allow two files of one name need it).
   */
  upload(path: string, src: UploadSource, opts: UploadOptions): Promise<RemoteEntry>;
  /**
   * Go on with an upload a previous process started (after a crash): from the byte the service
   * holds, or from the start in a new session when the old one is gone. Same result as upload.
   */
  resumeUpload?(path: string, src: UploadSource, session: UploadSession, opts: UploadOptions): Promise<RemoteEntry>;
  mkdir(path: string): Promise<RemoteEntry>;
  /** Rename/move; `replaces` is an existing target to overwrite (POSIX rename semantics). */
  move(from: string, entry: RemoteEntry, to: string, opts: { replaces?: RemoteEntry }): Promise<RemoteEntry>;
  remove(path: string, entry: RemoteEntry): Promise<void>;
  /** Set the modification time; absent where the service keeps no client times. */
  setModified?(path: string, entry: RemoteEntry, mtimeMs: number): Promise<RemoteEntry>;
}

/** One item's new state, or its removal, as a change feed reports it. */
export type RemoteChange =
  | { kind: 'item'; entry: RemoteEntry; /** Its folder's id; absent for the drive's root. */ parentId?: string }
  | { kind: 'deleted'; id: string };

/**
 * One poll of a change feed. `reset`: the service lost track of what we saw (OneDrive's 410
 * resyncRequired), so anything cached may be wrong; `cursor` then starts from now.
 */
export type ChangeRound = { kind: 'changes'; changes: RemoteChange[]; cursor: string } | { kind: 'reset'; cursor: string };

/**
 * The service's record of changes to the whole drive, by item id, in no particular order (an
 * item may appear more than once; the last time is its latest state). Items outside the mounted
 * folder may be reported too: the user of the feed filters by the ids it knows. Cursors may embed
 * service tokens: never log them.
 */
export interface ChangeFeed {
  /** A cursor for "changes from now on". */
  start(): Promise<string>;
  /** Every change since `cursor` (all pages) and the cursor for the next poll. */
  since(cursor: string): Promise<ChangeRound>;
}

export interface Drive {
  /** The remote's name, for log lines. */
  readonly name: string;
  readonly capabilities: DriveCapabilities;
  /** Present when the service can be written to. */
  readonly writer?: DriveWriter;
  /** Check the credentials and the root; called once before mounting so bad set-ups fail early. */
  connect(): Promise<void>;
  stat(path: string): Promise<RemoteEntry>;
  /** Every child of a folder, following all pages. */
  list(path: string, dir?: RemoteEntry): Promise<RemoteEntry[]>;
  /**
   * The same children a page at a time, as the service sends them, for drivers whose listings
   * come in pages: the cache stores each page compactly before the next is fetched, so a huge
   * folder's entries (and the JSON they came in) are never all in memory as objects at once.
   */
  listPages?(path: string, dir?: RemoteEntry): AsyncIterable<RemoteEntry[]>;
  /**
   * The bytes [start, end) of a file, in order. Ends early only where the file really ends (it is
   * shorter than listed); throws DriveError (EIO once retries bring no progress). Retries, link
   * refresh, waits for a busy service, resuming cut bodies and download caps are the driver's job.
   */
  readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer>;
  /** The entry with its size, for an entry listed with `sizeUnknown` (drivers that list such entries have it). */
  learnSize?(path: string, entry: RemoteEntry): Promise<RemoteEntry>;
  /**
   * The drive's change feed, for drivers whose service offers one (OneDrive); undefined where it
   * is not offered for this drive (then caches expire by time alone). Drivers drop their cached
   * download links of every item the feed reports.
   */
  changes?(): ChangeFeed | undefined;
  quota(): Promise<Quota>;
  about(): Promise<DriveAbout>;
  close(): Promise<void>;
}
