import { LRUCache } from 'lru-cache';
import { asideName, forgetIdsBelow, putBack, removeAside, removeReplaced } from '../replaced-items.js';
import type { RefreshTokenCredential } from '../../../config/credential.js';
import { HttpError } from '../../../http/http-error.js';
import { DriveError } from '../../../util/errors.js';
import { joinPosix, parentOf, splitPath } from '../../../util/posix-path.js';
import { forgettingWriter } from '../../content/forgetting-writer.js';
import { LinkedContent } from '../../content/linked-content.js';
import type { DriveDeps } from '../../descriptor.js';
import { TokenSource } from '../../token-source.js';
import type { Drive, DriveAbout, DriveCapabilities, DriveWriter, DownloadLink, Quota, RemoteEntry, UploadOptions, UploadSession, UploadSource } from '../../types.js';
import { aliyundriveError } from '../errors.js';
import { toEntry, type AliyundriveFile, type ListAnswer } from '../files.js';
import { collectPages } from '../listing.js';
import { Pacer } from '../pacer.js';
import { LEGACY_UPLOAD, uploadFile } from '../upload.js';
import { LegacyApi } from './api.js';
import type { LegacyConfig } from './config.js';
import { DOWNLOAD_REFERER } from './headers.js';
import { legacyExchange } from './tokens.js';

/** The longest download link the service grants (s); links are re-resolved when refused anyway. */
const LINK_SECONDS = 14_400;
/** Folder ids remembered (as in the Open driver: a forgotten id costs a listing, never a wrong answer). */
const MAX_FOLDER_IDS = 20_000;
/** The legacy listing's largest page. */
const PAGE = 200;
/** Downloads in flight at once per user, as on the Open API. */
const MAX_DOWNLOADS = 3;
const MiB = 1 << 20;

export const LEGACY_WARNING =
  'uses Aliyundrive\'s legacy API, which the provider discourages and may block at any time; Aliyundrive Open (type aliyundrive-open, drivemount login aliyundrive) is the supported way';

interface UserInfo {
  user_id?: string;
  nick_name?: string;
  user_name?: string;
  default_drive_id?: string;
  resource_drive_id?: string;
  backup_drive_id?: string;
}

interface BatchAnswer {
  responses?: { id: string; status: number; body?: { code?: string; message?: string } & Record<string, unknown> }[];
}

/**
 * Aliyundrive through its legacy (mobile app) API: the Open driver's behaviour with the legacy
 * paths, a device session on every call, moves through /v3/batch and links read with the
 * Referer the download host wants. Items are addressed by id, so folder ids of listed paths are kept.
 */
export class LegacyDrive implements Drive {
  readonly capabilities: DriveCapabilities;
  readonly writer: DriveWriter;
  readonly pacer = new Pacer();
  readonly api: LegacyApi;
  private readonly tokens: TokenSource;
  private driveId = '';
  private account?: string;
  private readonly ids: LRUCache<string, string>;
  readonly content: LinkedContent;
  /** Items a rename replaced but could not remove: listings leave them out (the moved item is the one at that name). */
  private readonly stale = new Set<string>();

  constructor(
    readonly name: string,
    private readonly cfg: LegacyConfig,
    private readonly deps: DriveDeps<RefreshTokenCredential>,
    limits: { folderIds?: number } = {},
  ) {
    this.ids = new LRUCache({ max: limits.folderIds ?? MAX_FOLDER_IDS });
    this.tokens = new TokenSource(legacyExchange(deps.http, cfg.authUrl), { remote: name, store: deps.store, log: deps.log });
    this.api = new LegacyApi({ http: deps.http, tokens: this.tokens, pacer: this.pacer, apiUrl: cfg.apiUrl, store: deps.store, log: deps.log, remote: name });
    this.capabilities = {
      caseInsensitive: false, linksInListing: false, hash: 'sha1', pathLookup: false,
      maxFileBytes: 10_000 * 1280 * MiB, // 10,000 parts of 1280 MiB, the largest the doubling from 10 MiB makes within the 5 GB part limit
    };
    this.content = new LinkedContent({
      http: deps.http,
      log: deps.log,
      resolve: (p, e) => this.downloadLink(p, e),
      maxConcurrentDownloads: MAX_DOWNLOADS,
      busyCodes: ['ExceedMaxConcurrency'],
    });
    this.writer = forgettingWriter({
      checkName: () => undefined,
      upload: (p, src, o) => this.upload(p, src, o),
      resumeUpload: (p, src, session, o) => this.upload(p, src, o, session),
      mkdir: (p) => this.mkdir(p),
      move: (from, e, to, o) => this.move(from, e, to, o),
      remove: (p, e) => this.remove(p, e),
    }, (id) => this.content.forget(id));
  }

  async connect(): Promise<void> {
    this.deps.log.warn({ remote: this.name }, `remote "${this.name}" ${LEGACY_WARNING}`);
    let info: UserInfo;
    try {
      // Before any device session exists: the bearer alone.
      info = await this.api.call<UserInfo>('/v2/user/get', {}, 'other', { device: false });
      if (!info.user_id) throw new DriveError('EIO', 'the answer has no user_id');
      await this.api.session.start(info.user_id);
    } catch (e) {
      throw aliyundriveError(e, `remote "${this.name}": cannot sign in to the legacy API`);
    }
    const id = this.cfg.driveType === 'resource' ? info.resource_drive_id : this.cfg.driveType === 'backup' ? info.backup_drive_id : info.default_drive_id;
    if (!id) throw new DriveError('ENOENT', `remote "${this.name}": the account has no ${this.cfg.driveType} drive`);
    this.driveId = id;
    this.account = info.nick_name || info.user_name || info.user_id;
    const root = await this.stat('/');
    if (!root.isDir) throw new DriveError('ENOTDIR', `remote "${this.name}": rootFolderId ${this.cfg.rootFolderId} is a file, not a folder`);
  }

  async stat(path: string): Promise<RemoteEntry> {
    if (path === '/') {
      if (this.cfg.rootFolderId === 'root') return { id: 'root', name: '', isDir: true, size: 0, mtimeMs: 0, birthtimeMs: 0 };
      try {
        return toEntry(await this.get(this.cfg.rootFolderId));
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

  /** A folder whose id is known, by one get (see the Open driver's folderById for why). */
  private async folderById(path: string): Promise<RemoteEntry | undefined> {
    const id = this.ids.get(path);
    const { parent, name } = splitPath(path);
    const parentId = this.knownId(parent);
    if (!id || !parentId) return undefined;
    let f: AliyundriveFile;
    try {
      f = await this.get(id);
    } catch (e) {
      const err = aliyundriveError(e, `stat ${path}`);
      if (err.code === 'ENOENT') return undefined;
      throw err;
    }
    if (f.type !== 'folder' || f.name !== name || f.parent_file_id !== parentId) return undefined;
    return toEntry(f);
  }

  private get(fileId: string): Promise<AliyundriveFile> {
    return this.api.call<AliyundriveFile>('/v2/file/get', { drive_id: this.driveId, file_id: fileId });
  }

  async list(path: string, dir?: RemoteEntry): Promise<RemoteEntry[]> {
    const parentId = dir?.id ?? (await this.idOf(path));
    let out: RemoteEntry[];
    try {
      out = await collectPages((marker) =>
        this.api.call<ListAnswer>(
          '/v2/file/list',
          { drive_id: this.driveId, parent_file_id: parentId, limit: PAGE, marker, fields: '*', order_by: 'name', order_direction: 'ASC' },
          'list',
        ).then((page) => (this.stale.size ? { ...page, items: page.items?.filter((f) => !this.stale.has(f.file_id)) } : page)),
      );
    } catch (e) {
      throw aliyundriveError(e, `list ${path}`);
    }
    for (const e of out) if (e.isDir) this.ids.set(joinPosix(path, e.name), e.id);
    return out;
  }

  readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer> {
    return this.content.readRange(path, entry, start, end, signal);
  }

  private async downloadLink(path: string, entry: RemoteEntry): Promise<DownloadLink> {
    let a: { url?: string; expiration?: string };
    try {
      a = await this.api.call('/v2/file/get_download_url', { drive_id: this.driveId, file_id: entry.id, expire_sec: LINK_SECONDS }, 'link');
    } catch (e) {
      throw aliyundriveError(e, `download link for ${path}`);
    }
    if (!a.url) throw new DriveError('EIO', `${path}: the service gave no download link`);
    const now = Date.now();
    const parsed = a.expiration ? Date.parse(a.expiration) : NaN;
    const exp = Number.isNaN(parsed) ? now + LINK_SECONDS * 1000 : parsed;
    // The download host refuses legacy links without the app's Referer.
    return { url: a.url, expiresAt: exp - Math.min(60_000, Math.max(0, exp - now) / 4), headers: { referer: DOWNLOAD_REFERER } };
  }

  async about(): Promise<DriveAbout> {
    return { account: this.account, driveType: this.cfg.driveType, driveId: this.driveId || undefined, quota: await this.quota() };
  }

  /** Space figures; the call is not one every client uses, so any failure means "unknown". */
  async quota(): Promise<Quota> {
    try {
      const a = await this.api.call<{ personal_space_info?: { used_size?: number; total_size?: number } }>('/v2/databox/get_personal_info', {});
      const used = a.personal_space_info?.used_size;
      const total = a.personal_space_info?.total_size;
      return { total, used, free: total !== undefined && used !== undefined ? Math.max(0, total - used) : undefined };
    } catch (e) {
      if (e instanceof DriveError && e.fatal) throw e;
      this.deps.log.debug({ remote: this.name, err: (e as Error).message }, 'space figures unavailable');
      return {};
    }
  }

  async close(): Promise<void> {
    await this.tokens.close();
  }

  private knownId(path: string): string | undefined {
    return path === '/' ? this.cfg.rootFolderId : this.ids.get(path);
  }

  private async idOf(path: string): Promise<string> {
    const known = this.knownId(path);
    if (known) return known;
    const name = splitPath(path).name;
    const e = (await this.list(parentOf(path))).find((x) => x.name === name);
    if (!e) throw new DriveError('ENOENT', `${path}: no such folder`);
    return e.id;
  }

  private async upload(path: string, src: UploadSource, o: UploadOptions, resume?: UploadSession): Promise<RemoteEntry> {
    const { parent, name } = splitPath(path);
    // Replacing: the new file is committed beside the old one (the service allows two of one
    // name), and only then is the old one removed, so a failed upload loses nothing.
    const file = await uploadFile(
      { api: this.api, http: this.deps.http, log: this.deps.log },
      { driveId: this.driveId, parentId: await this.idOf(parent), name, shown: path, checkNameMode: o.replaces ? 'ignore' : 'refuse' },
      src,
      { rapid: this.cfg.rapidUpload, endpoints: LEGACY_UPLOAD, basePartSize: 10 * MiB, resume, onSession: o.onSession },
    );
    if (o.replaces && o.replaces.id !== file.file_id) await removeReplaced(() => this.remove(path, o.replaces!));
    return toEntry(file);
  }

  private async mkdir(path: string): Promise<RemoteEntry> {
    const { parent, name } = splitPath(path);
    try {
      const a = await this.api.call<AliyundriveFile & { file_name?: string; exist?: boolean }>('/adrive/v2/file/createWithFolders', {
        drive_id: this.driveId, parent_file_id: await this.idOf(parent), name, type: 'folder', check_name_mode: 'refuse',
      });
      // "refuse" answers success with `exist: true` when the name is taken: nothing was made.
      if (a.exist) throw new DriveError('EEXIST', `mkdir ${path}: the name exists`);
      this.ids.set(path, a.file_id);
      return { ...toEntry({ ...a, name: a.file_name ?? a.name ?? name, type: 'folder' }), mtimeMs: a.updated_at ? Date.parse(a.updated_at) : Date.now() };
    } catch (e) {
      throw aliyundriveError(e, `mkdir ${path}`);
    }
  }

  private rename(fileId: string, name: string, mode: 'refuse' | 'ignore'): Promise<unknown> {
    return this.api.call('/v3/file/update', { drive_id: this.driveId, file_id: fileId, name, check_name_mode: mode });
  }

  /** One move through /v3/batch; a refused sub-request is thrown as the HTTP error it stands for. */
  private async batchMove(fileId: string, toParentId: string, newName: string, mode: 'refuse' | 'ignore'): Promise<void> {
    const a = await this.api.call<BatchAnswer>('/v3/batch', {
      resource: 'file',
      requests: [{
        id: fileId, method: 'POST', url: '/file/move', headers: { 'Content-Type': 'application/json' },
        body: { drive_id: this.driveId, file_id: fileId, to_drive_id: this.driveId, to_parent_file_id: toParentId, new_name: newName, check_name_mode: mode },
      }],
    });
    const r = a.responses?.find((x) => x.id === fileId) ?? a.responses?.[0];
    if (!r) throw new DriveError('EIO', 'the batch answer has no response for the move');
    if (r.status >= 400) {
      throw new HttpError(r.status, `/file/move: ${r.body?.code ?? ''} ${r.body?.message ?? ''}`.trim(), { serviceCode: r.body?.code, body: r.body });
    }
    if (r.body?.exist === true) throw new DriveError('EEXIST', 'the name exists');
  }

  private async move(from: string, entry: RemoteEntry, to: string, o: { replaces?: RemoteEntry }): Promise<RemoteEntry> {
    const src = splitPath(from);
    const dst = splitPath(to);
    let replaces = o.replaces?.id === entry.id ? undefined : o.replaces;
    let aside: RemoteEntry | undefined;
    let moveDone = false;
    try {
      if (replaces?.isDir) {
        // The service never puts a folder in a folder's place: the (empty) target steps aside
        // under a unique name, and is removed only once the move is done (put back if it fails).
        aside = replaces;
        replaces = undefined;
        await this.rename(aside.id, asideName(dst.name), 'refuse');
      }
      // Onto a file: "ignore" keeps both for a moment (the service allows two of one name);
      // the old one goes only after the move, so a failure never loses both.
      const mode = replaces ? 'ignore' : 'refuse';
      let name = src.name;
      if (src.parent !== dst.parent) {
        // `new_name` is only used where the original name is taken at the destination.
        await this.batchMove(entry.id, await this.idOf(dst.parent), dst.name, mode);
        try {
          name = (await this.get(entry.id)).name;
          if (name !== dst.name) await this.rename(entry.id, dst.name, mode);
        } catch (e) {
          // Moved but not renamed: put it back where it was, under its own name, so a failed
          // rename leaves nothing misplaced.
          const back = this.knownId(src.parent);
          await putBack(this.deps.log, from, () =>
            back ? this.batchMove(entry.id, back, src.name, 'refuse') : Promise.reject(new Error('the source folder id is no longer known')),
          );
          throw e;
        }
      } else if (name !== dst.name) await this.rename(entry.id, dst.name, mode);
      moveDone = true; // from here on the rename has happened: nothing below may undo or fail it
      if (replaces) {
        const old = replaces;
        await removeReplaced(() => this.remove(to, old)).catch((e: unknown) => {
          // The old item stays beside the moved one: listings hide it, so the path shows what was moved.
          this.stale.add(old.id);
          this.deps.log.warn({ path: to, err: (e as Error).message }, `renamed, but the file it replaced could not be removed: two items named ${dst.name} are now in that folder`);
        });
      }
      if (aside) await removeAside(this.deps.log, to, () => this.remove(to, aside!));
      const moved = toEntry(await this.get(entry.id));
      forgetIdsBelow(this.ids, from);
      if (moved.isDir) this.ids.set(to, entry.id);
      return moved;
    } catch (e) {
      if (aside && !moveDone) {
        const back = aside;
        await putBack(this.deps.log, to, () => this.rename(back.id, dst.name, 'refuse'));
      }
      throw aliyundriveError(e, `rename ${from} → ${to}`);
    }
  }

  private async remove(path: string, entry: RemoteEntry): Promise<void> {
    try {
      // Always the recycle bin: the only removal the legacy API's wire facts establish (config refuses "delete").
      await this.api.call('/v2/recyclebin/trash', { drive_id: this.driveId, file_id: entry.id });
    } catch (e) {
      throw aliyundriveError(e, `remove ${path}`);
    }
    const now = this.ids.get(path);
    if (entry.isDir && (now === undefined || now === entry.id)) forgetIdsBelow(this.ids, path);
  }
}
