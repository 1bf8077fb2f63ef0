import type { HttpClient } from '../../http/client.js';
import type { RefreshTokenCredential } from '../../config/credential.js';
import type { DriveDeps } from '../descriptor.js';
import { joinPosix } from '../../util/posix-path.js';
import { DriveError } from '../../util/errors.js';
import { TokenSource } from '../token-source.js';
import type { Drive, DriveAbout, DriveCapabilities, DriveWriter, DownloadLink, Quota, RemoteEntry, UploadSource } from '../types.js';
import { AliyundriveApi } from './api.js';
import type { AliyundriveConfig } from './config.js';
import { aliyundriveError } from './errors.js';
import { toEntry, type AliyundriveFile, type ListAnswer } from './files.js';
import { Pacer } from './pacer.js';
import { aliyundriveExchange } from './tokens.js';
import { uploadFile } from './upload.js';
import { LivePhotos } from './live-photos.js';
import { LinkedContent } from '../content/linked-content.js';
import { forgettingWriter } from '../content/forgetting-writer.js';
import { parentOf, splitPath } from '../../util/posix-path.js';

/** The longest download link the service grants (s); links are re-resolved when refused anyway. */
const LINK_SECONDS = 14_400;

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
  private driveId = '';
  /** The account's name, read by connect(). */
  private account?: string;
  /** Mount path → file id, learnt from listings. */
  private readonly ids = new Map<string, string>();
  private readonly livp: LivePhotos;
  /** Reads through download links, within the service's cap on downloads per user. */
  readonly content: LinkedContent;

  constructor(
    readonly name: string,
    private readonly cfg: AliyundriveConfig,
    private readonly deps: DriveDeps<RefreshTokenCredential>,
  ) {
    const tokens = new TokenSource(aliyundriveExchange(deps.http, cfg), { remote: name, store: deps.store, log: deps.log });
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
    this.ids.set('/', cfg.rootFolderId);
    this.livp = new LivePhotos(cfg.livpFormat, deps.http, (id) => this.streamLink(id));
    this.writer = forgettingWriter({
      checkName: () => undefined, // the Open API documents no refused names
      upload: (p, src, o) => this.upload(p, src, o),
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
    const { parent, name } = splitPath(path);
    const e = (await this.list(parent)).find((x) => x.name === name);
    if (!e) throw new DriveError('ENOENT', `${path}: no such file or folder`);
    return e;
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
          const entry = f.type === 'file' && f.file_extension === 'livp' ? await this.livp.present(f) : toEntry(f);
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
    for (const e of out) this.ids.set(joinPosix(path, e.name), e.id);
    return out;
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
    /* the shared HttpClient is closed by its owner */
  }

  /** The id of a mount path: from what was listed, else by listing the way down. */
  private async idOf(path: string): Promise<string> {
    const known = this.ids.get(path);
    if (known) return known;
    await this.list(parentOf(path));
    const id = this.ids.get(path);
    if (!id) throw new DriveError('ENOENT', `${path}: no such folder`);
    return id;
  }

  private async upload(path: string, src: UploadSource, o: { replaces?: RemoteEntry }): Promise<RemoteEntry> {
    if (o.replaces && this.livp.isLive(o.replaces.id)) {
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
      { rapid: this.cfg.rapidUpload },
    );
    if (o.replaces && o.replaces.id !== file.file_id) await this.removeReplaced(path, o.replaces);
    this.ids.set(path, file.file_id);
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
    try {
      if (replaces?.isDir) {
        // The service never puts a folder in a folder's place (it refuses the name): the target
        // is empty (the VFS checked), so it goes first, as rename(2) onto an empty folder expects.
        // Should the move then fail, only an empty folder is gone.
        await this.removeReplaced(to, replaces);
        replaces = undefined;
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
      const wanted = this.livp.isLive(entry.id) ? this.livp.serviceName(dst.name) : dst.name;
      if (name !== wanted) {
        await this.api.call('openFile/update', { drive_id: this.driveId, file_id: entry.id, name: wanted, check_name_mode: mode });
      }
      if (replaces) await this.removeReplaced(to, replaces);
      const got = await this.api.call<AliyundriveFile>('openFile/get', { drive_id: this.driveId, file_id: entry.id });
      const moved = got.file_extension === 'livp' ? { ...(await this.livp.present(got)), name: dst.name } : toEntry(got);
      this.forgetBelow(from);
      this.ids.set(to, entry.id);
      return moved;
    } catch (e) {
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
    if (this.ids.get(path) === entry.id) this.forgetBelow(path);
  }

  /** The old file a new one replaced; already gone is fine (another client, or a retry, removed it). */
  private async removeReplaced(path: string, old: RemoteEntry): Promise<void> {
    try {
      await this.remove(path, old);
    } catch (e) {
      if (!(e instanceof DriveError && e.code === 'ENOENT')) throw e;
    }
  }

  private forgetBelow(path: string): void {
    this.ids.delete(path);
    const prefix = path + '/';
    for (const k of [...this.ids.keys()]) if (k.startsWith(prefix)) this.ids.delete(k);
  }
}
