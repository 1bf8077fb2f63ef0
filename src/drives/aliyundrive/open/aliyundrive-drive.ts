import { LRUCache } from 'lru-cache';
import type { RefreshTokenCredential } from '../../../config/credential.js';
import type { DriveDeps } from '../../descriptor.js';
import { joinPosix } from '../../../util/posix-path.js';
import { DriveError } from '../../../util/errors.js';
import { TokenSource } from '../../token-source.js';
import type { Drive, DriveAbout, DriveCapabilities, DriveWriter, DownloadLink, Quota, RemoteEntry, UploadOptions, UploadSession, UploadSource } from '../../types.js';
import { AliyundriveApi } from './api.js';
import type { AliyundriveConfig } from './config.js';
import { aliyundriveError } from '../errors.js';
import { toEntry, type AliyundriveFile, type ListAnswer } from '../files.js';
import { Pacer } from '../pacer.js';
import { aliyundriveExchange } from './tokens.js';
import { uploadFile } from '../upload.js';
import { asideName, forgetIdsBelow, putBack, removeAside, removeReplaced } from '../replaced-items.js';
import { LivePhotos } from './live-photos.js';
import { LinkedContent } from '../../content/linked-content.js';
import { forgettingWriter } from '../../content/forgetting-writer.js';
import { parentOf, splitPath } from '../../../util/posix-path.js';

/** The longest download link the service grants (s); links are re-resolved when refused anyway. */
const LINK_SECONDS = 14_400;
/**
 * Folder ids remembered (files need none: every change to a file names its entry, which holds
 * its id). Ten times the VFS's default count of cached listings, so the folders the VFS works
 * in are always here; at ~200 bytes each that is a few MB at most. A forgotten id costs a
 * listing of its parent (see idOf), never a wrong answer.
 */
const MAX_FOLDER_IDS = 20_000;

/** Memory bounds, smaller in tests that show what happens when something is forgotten. */
export interface AliyundriveLimits {
  folderIds?: number;
  liveSizes?: number;
}

interface DriveInfo {
  user_id?: string;
  name?: string;
  default_drive_id: string;
  resource_drive_id?: string;
  backup_drive_id?: string;
}

/**
 * Aliyundrive through its Open Platform API. Items are addressed by id, so the driver keeps the
 * ids of every path it has listed (the VFS lists a folder before it touches its children).
 */
export class AliyundriveDrive implements Drive {
  readonly capabilities: DriveCapabilities;
  readonly writer: DriveWriter;
  readonly pacer = new Pacer();
  private readonly api: AliyundriveApi;
  private readonly tokens: TokenSource;
  private driveId = '';
  /** The account's name, read by connect(). */
  private account?: string;
  /** Mount path → folder id, learnt from listings ("/" is the configured root, never forgotten). */
  private readonly ids: LRUCache<string, string>;
  private readonly livp: LivePhotos;
  /** Reads through download links, within the service's cap on downloads per user. */
  readonly content: LinkedContent;

  constructor(
    readonly name: string,
    private readonly cfg: AliyundriveConfig,
    private readonly deps: DriveDeps<RefreshTokenCredential>,
    limits: AliyundriveLimits = {},
  ) {
    this.ids = new LRUCache({ max: limits.folderIds ?? MAX_FOLDER_IDS });
    const tokens = (this.tokens = new TokenSource(aliyundriveExchange(deps.http, cfg), { remote: name, store: deps.store, log: deps.log }));
    this.api = new AliyundriveApi(deps.http, tokens, this.pacer, cfg.apiUrl);
    this.capabilities = {
      caseInsensitive: false, linksInListing: false, hash: 'sha1', pathLookup: false,
      maxFileBytes: 10_000 * 2560 * 2 ** 20, // 10,000 parts of 2560 MiB, the largest part the driver's doubling makes within the 5 GB part limit
    };
    this.content = new LinkedContent({
      http: deps.http,
      log: deps.log,
      resolve: (p, e) => this.downloadLink(p, e),
      maxConcurrentDownloads: cfg.maxConcurrentDownloads,
      // Aborted downloads count until the service sees their sockets close: a new one may race them.
      busyCodes: ['ExceedMaxConcurrency'],
    });
    this.livp = new LivePhotos(cfg.livpFormat, deps.http, (p, e) => this.content.links.get(p, e), (e, l) => this.content.links.invalidate(e.id, l), limits.liveSizes);
    this.writer = forgettingWriter({
      checkName: () => undefined, // the Open API documents no refused names
      upload: (p, src, o) => this.upload(p, src, o),
      resumeUpload: (p, src, session, o) => this.upload(p, src, o, session),
      mkdir: (p) => this.mkdir(p),
      move: (from, e, to, o) => this.move(from, e, to, o),
      remove: (p, e) => this.remove(p, e),
      // No setModified: the Open API keeps no client modification time (docs/semantics.md).
    }, (id) => this.content.forget(id));
  }

  async connect(): Promise<void> {
    let info: DriveInfo;
    try {
      info = await this.api.call<DriveInfo>('user/getDriveInfo', {});
    } catch (e) {
      throw aliyundriveError(e, `remote "${this.name}": cannot read the account's drives`);
    }
    const id = this.cfg.driveType === 'resource' ? info.resource_drive_id : this.cfg.driveType === 'backup' ? info.backup_drive_id : info.default_drive_id;
    if (!id) throw new DriveError('ENOENT', `remote "${this.name}": the account has no ${this.cfg.driveType} drive`);
    this.driveId = id;
    this.account = info.name ?? info.user_id;
    const root = await this.stat('/');
    if (!root.isDir) throw new DriveError('ENOTDIR', `remote "${this.name}": rootFolderId ${this.cfg.rootFolderId} is a file, not a folder`);
  }

  async stat(path: string): Promise<RemoteEntry> {
    if (path === '/') {
      if (this.cfg.rootFolderId === 'root') return { id: 'root', name: '', isDir: true, size: 0, mtimeMs: 0, birthtimeMs: 0 };
      try {
        return toEntry(await this.api.call<AliyundriveFile>('openFile/get', { drive_id: this.driveId, file_id: this.cfg.rootFolderId }));
      } catch (e) {
        throw aliyundriveError(e, `remote "${this.name}": root folder ${this.cfg.rootFolderId}`);
      }
    }
    const byId = await this.folderById(path);
    if (byId) return byId;
    const { parent, name } = splitPath(path);
    const e = (await this.list(parent)).find((x) => x.name === name);
    if (!e) throw new DriveError('ENOENT', `${path}: no such file or folder`);
    return e;
  }

  /**
   * A folder whose id is known, by one `get` instead of a listing of its parent: the VFS asks
   * again for a folder's attributes after each change inside it, and `cp -r` makes many. Used only
   * where the answer is still that path's folder (same name, same parent); else undefined, and the
   * caller lists the parent as for any path.
   */
  private async folderById(path: string): Promise<RemoteEntry | undefined> {
    const id = this.ids.get(path);
    const { parent, name } = splitPath(path);
    const parentId = this.knownId(parent);
    if (!id || !parentId) return undefined;
    let f: AliyundriveFile;
    try {
      f = await this.api.call<AliyundriveFile>('openFile/get', { drive_id: this.driveId, file_id: id });
    } catch (e) {
      const err = aliyundriveError(e, `stat ${path}`);
      if (err.code === 'ENOENT') return undefined; // gone or trashed: the listing tells what is there now
      throw err;
    }
    if (f.type !== 'folder' || f.name !== name || f.parent_file_id !== parentId) return undefined;
    return toEntry(f);
  }

  async list(path: string, dir?: RemoteEntry): Promise<RemoteEntry[]> {
    const parentId = dir?.id ?? (await this.idOf(path));
    const byName = new Map<string, { entry: RemoteEntry; updated: number }>();
    let marker = '';
    try {
      do {
        const page: ListAnswer = await this.api.call<ListAnswer>(
          'openFile/list',
          { drive_id: this.driveId, parent_file_id: parentId, limit: 100, marker, order_by: 'name', order_direction: 'ASC' },
          'list',
        );
        for (const f of page.items ?? []) {
          const entry = f.type === 'file' && f.file_extension === 'livp' ? this.livp.present(f) : toEntry(f);
          // The service allows two items of one name; a path can show only one: the newest.
          const seen = byName.get(entry.name);
          if (!seen || entry.mtimeMs > seen.updated) byName.set(entry.name, { entry, updated: entry.mtimeMs });
        }
        marker = page.next_marker ?? '';
      } while (marker);
    } catch (e) {
      throw aliyundriveError(e, `list ${path}`);
    }
    const out = this.livp.resolveClashes([...byName.values()].map((v) => v.entry));
    for (const e of out) if (e.isDir) this.ids.set(joinPosix(path, e.name), e.id);
    return out;
  }

  /** A live photo listed without its stream's size (LivePhotos says why). */
  learnSize(path: string, entry: RemoteEntry): Promise<RemoteEntry> {
    if (!entry.sizeUnknown) return Promise.resolve(entry);
    return this.livp.learnSize(path, entry).catch((e: unknown) => {
      throw aliyundriveError(e, `size of ${path}`);
    });
  }

  readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer> {
    return this.content.readRange(path, entry, start, end, signal);
  }

  private async downloadLink(path: string, entry: RemoteEntry): Promise<DownloadLink> {
    try {
      return await this.streamLink(entry.id);
    } catch (e) {
      throw aliyundriveError(e, `download link for ${path}`);
    }
  }

  /** A download link for a file, or for the chosen stream of a live photo. */
  private async streamLink(fileId: string): Promise<DownloadLink> {
    const a = await this.api.call<{ url?: string; expiration?: string; streamsUrl?: Record<string, string> }>(
      'openFile/getDownloadUrl',
      { drive_id: this.driveId, file_id: fileId, expire_sec: LINK_SECONDS },
      'link',
    );
    const url = a.url ?? a.streamsUrl?.[this.cfg.livpFormat];
    if (!url) throw new DriveError('EIO', `file ${fileId}: the service gave no download link`);
    const now = Date.now();
    const parsed = a.expiration ? Date.parse(a.expiration) : NaN;
    const exp = Number.isNaN(parsed) ? now + LINK_SECONDS * 1000 : parsed;
    // Stop trusting a link a little before the service says it ends (a minute, or a quarter of a short life).
    return { url, expiresAt: exp - Math.min(60_000, Math.max(0, exp - now) / 4) };
  }

  /** After connect(): the account it read, and fresh space figures. */
  async about(): Promise<DriveAbout> {
    return { account: this.account, driveType: this.cfg.driveType, driveId: this.driveId || undefined, quota: await this.quota() };
  }

  async quota(): Promise<Quota> {
    try {
      const a = await this.api.call<{ personal_space_info?: { used_size?: number; total_size?: number } }>('user/getSpaceInfo', {});
      const used = a.personal_space_info?.used_size;
      const total = a.personal_space_info?.total_size;
      return { total, used, free: total !== undefined && used !== undefined ? Math.max(0, total - used) : undefined };
    } catch (e) {
      throw aliyundriveError(e, 'quota');
    }
  }

  async close(): Promise<void> {
    await this.tokens.close(); // the shared HttpClient is closed by its owner
  }

  private knownId(path: string): string | undefined {
    return path === '/' ? this.cfg.rootFolderId : this.ids.get(path);
  }

  /** The id of a folder's mount path: from what was listed, else by listing the way down. */
  private async idOf(path: string): Promise<string> {
    const known = this.knownId(path);
    if (known) return known;
    // From the listing itself: the bounded map may already have let the id go again.
    const name = splitPath(path).name;
    const e = (await this.list(parentOf(path))).find((x) => x.name === name);
    if (!e) throw new DriveError('ENOENT', `${path}: no such folder`);
    return e.id; // a file's id too: listing "below" it then answers ENOENT, as for a missing folder
  }

  private async upload(path: string, src: UploadSource, o: UploadOptions, resume?: UploadSession): Promise<RemoteEntry> {
    if (o.replaces && LivePhotos.isLive(o.replaces)) {
      // Writing would replace the whole live photo (both streams) with one plain file.
      throw new DriveError('EACCES', `${path} is one stream of a live photo (.livp) and cannot be written through the mount`);
    }
    const { parent, name } = splitPath(path);
    // Replacing: the new file is committed beside the old one (the service allows two of one
    // name), and only then is the old one removed, so a failed upload loses nothing.
    const file = await uploadFile(
      { api: this.api, http: this.deps.http, log: this.deps.log },
      { driveId: this.driveId, parentId: await this.idOf(parent), name, shown: path, checkNameMode: o.replaces ? 'ignore' : 'refuse' },
      src,
      { rapid: this.cfg.rapidUpload, resume, onSession: o.onSession },
    );
    if (o.replaces && o.replaces.id !== file.file_id) await removeReplaced(() => this.remove(path, o.replaces!));
    return toEntry(file);
  }

  private async mkdir(path: string): Promise<RemoteEntry> {
    const { parent, name } = splitPath(path);
    try {
      const a = await this.api.call<AliyundriveFile & { file_name?: string; exist?: boolean }>('openFile/create', {
        drive_id: this.driveId, parent_file_id: await this.idOf(parent), name, type: 'folder', check_name_mode: 'refuse',
      });
      // "refuse" answers success with `exist: true` when the name is taken: nothing was made.
      if (a.exist) throw new DriveError('EEXIST', `mkdir ${path}: the name exists`);
      this.ids.set(path, a.file_id);
      const now = Date.now();
      return { ...toEntry({ ...a, name: a.file_name ?? a.name ?? name, type: 'folder' }), mtimeMs: a.updated_at ? Date.parse(a.updated_at) : now };
    } catch (e) {
      throw aliyundriveError(e, `mkdir ${path}`);
    }
  }

  private async move(from: string, entry: RemoteEntry, to: string, o: { replaces?: RemoteEntry }): Promise<RemoteEntry> {
    const src = splitPath(from);
    const dst = splitPath(to);
    let replaces = o.replaces?.id === entry.id ? undefined : o.replaces;
    let aside: RemoteEntry | undefined;
    let moveDone = false;
    try {
      if (replaces?.isDir) {
        // The service never puts a folder in a folder's place (it refuses the name), so the
        // target (empty: the VFS checked) steps aside under a unique name first, and is removed
        // only once the move is done: should the move fail, it is put back.
        aside = replaces;
        replaces = undefined;
        await this.api.call('openFile/update', { drive_id: this.driveId, file_id: aside.id, name: asideName(dst.name), check_name_mode: 'refuse' });
      }
      const mode = replaces ? 'ignore' : 'refuse';
      let name = src.name;
      if (src.parent !== dst.parent) {
        // `new_name` is only used where the original name is taken at the destination; a
        // rename on the way needs an update after the move.
        const a = await this.api.call<{ exist?: boolean }>('openFile/move', {
          drive_id: this.driveId, file_id: entry.id, to_parent_file_id: await this.idOf(dst.parent), new_name: dst.name, check_name_mode: mode,
        });
        if (a?.exist) throw new DriveError('EEXIST', `rename ${from} → ${to}: the name exists`);
        name = (await this.api.call<AliyundriveFile>('openFile/get', { drive_id: this.driveId, file_id: entry.id })).name;
      }
      const wanted = LivePhotos.isLive(entry) ? this.livp.serviceName(dst.name) : dst.name;
      if (name !== wanted) {
        await this.api.call('openFile/update', { drive_id: this.driveId, file_id: entry.id, name: wanted, check_name_mode: mode });
      }
      moveDone = true; // from here on the rename has happened: nothing below may undo or fail it
      if (replaces) {
        await removeReplaced(() => this.remove(to, replaces!)).catch((e: unknown) => {
          this.deps.log.warn({ path: to, err: (e as Error).message }, `renamed, but the file it replaced could not be removed: two items named ${dst.name} are now in that folder`);
        });
      }
      if (aside) await removeAside(this.deps.log, to, () => this.remove(to, aside!));
      const got = await this.api.call<AliyundriveFile>('openFile/get', { drive_id: this.driveId, file_id: entry.id }).catch(() => undefined);
      const moved = !got ? { ...entry, name: dst.name } : got.file_extension === 'livp' ? { ...this.livp.present(got), name: dst.name } : toEntry(got);
      forgetIdsBelow(this.ids, from);
      if (moved.isDir) this.ids.set(to, entry.id);
      return moved;
    } catch (e) {
      if (aside && !moveDone) {
        const back = aside;
        await putBack(this.deps.log, to, () => this.api.call('openFile/update', { drive_id: this.driveId, file_id: back.id, name: dst.name, check_name_mode: 'refuse' }));
      }
      throw aliyundriveError(e, `rename ${from} → ${to}`);
    }
  }

  private async remove(path: string, entry: RemoteEntry): Promise<void> {
    const op = this.cfg.removeWay === 'delete' ? 'openFile/delete' : 'openFile/recyclebin/trash';
    try {
      await this.api.call(op, { drive_id: this.driveId, file_id: entry.id });
    } catch (e) {
      throw aliyundriveError(e, `remove ${path}`);
    }
    // A folder now at the path with another id is a newer one: what is below it is its own.
    const now = this.ids.get(path);
    if (entry.isDir && (now === undefined || now === entry.id)) forgetIdsBelow(this.ids, path);
  }
}
