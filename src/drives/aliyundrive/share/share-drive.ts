import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { HttpError } from '../../../http/http-error.js';
import type { RefreshTokenCredential } from '../../../config/credential.js';
import { DriveError } from '../../../util/errors.js';
import type { Logger } from '../../../util/log.js';
import { joinPosix, splitPath } from '../../../util/posix-path.js';
import { LinkedContent } from '../../content/linked-content.js';
import type { DriveDeps } from '../../descriptor.js';
import { TokenSource } from '../../token-source.js';
import type { Drive, DriveAbout, DriveCapabilities, DownloadLink, Quota, RemoteEntry } from '../../types.js';
import { aliyundriveError } from '../errors.js';
import { toEntry, type AliyundriveFile, type ListAnswer } from '../files.js';
import { LegacyApi } from '../legacy/api.js';
import { DOWNLOAD_REFERER } from '../legacy/headers.js';
import { legacyExchange } from '../legacy/tokens.js';
import { Pacer } from '../pacer.js';
import type { AliyundriveShareConfig } from './config.js';
import { LegacyOwnDrive } from './own-drive.js';
import { ShareApi } from './share-api.js';
import { ShareCopies, type OwnDrive, type ShareCopiesOptions } from './share-copies.js';
import { isParamFlow, LinksRefused, shareError, ShareRefused } from './share-errors.js';
import { ShareTokens } from './share-token.js';

/** Share download links are asked for 600 s, the most the service grants on them. */
const SHARE_LINK_SECONDS = 600;
/** Asks for a share link before 429s count as the lasting refusal. */
const LINK_ATTEMPTS = 4;
/** After the service refused a share download link, links are not asked for again this long. */
const LINKS_REFUSED_MS = 10 * 60_000;
/** Folder ids remembered (as the Open driver does; a forgotten one costs a listing of its parent). */
const MAX_FOLDER_IDS = 20_000;

/** For tests: a stand-in for the user's drive, and quicker copy eviction. */
export interface ShareDriveTestHooks {
  ownDrive?: (drive: ShareDrive) => OwnDrive;
  copies?: ShareCopiesOptions;
}

/**
 * A folder shared by an Aliyundrive share link, read-only (no writer, so the mount answers
 * EROFS). Listings use the share token; reads use the share's download links and, since the
 * service refuses those today, optionally a temporary copy in the user's own drive.
 */
export class ShareDrive implements Drive {
  readonly capabilities: DriveCapabilities = { caseInsensitive: false, linksInListing: false, hash: 'sha1', pathLookup: false };
  readonly pacer = new Pacer();
  readonly user: LegacyApi;
  readonly shareTokens: ShareTokens;
  readonly content: LinkedContent;
  readonly copies?: ShareCopies;
  private readonly tokens: TokenSource;
  private readonly api: ShareApi;
  private readonly log: Logger;
  private readonly ids: LRUCache<string, string>;
  /** The user's default drive, where copies go (from /v2/user/get at connect). */
  ownDriveId = '';
  private account?: string;
  /** The sharer's drive, named by every listed item: share download links need it. */
  private sharerDriveId?: string;
  private linksRefusedUntil = 0;
  private warnedRefusal = false;
  /** How the service refused share links, for the log line. */
  private refusal = 'ParamFlowException';
  private readonly copyFailuresLogged = new Set<string>();

  constructor(
    readonly name: string,
    private readonly cfg: AliyundriveShareConfig,
    deps: DriveDeps<RefreshTokenCredential>,
    hooks: ShareDriveTestHooks = {},
  ) {
    this.log = deps.log;
    this.ids = new LRUCache({ max: MAX_FOLDER_IDS });
    this.tokens = new TokenSource(legacyExchange(deps.http, cfg.authUrl), { remote: name, store: deps.store, log: deps.log });
    this.user = new LegacyApi({ http: deps.http, tokens: this.tokens, pacer: this.pacer, apiUrl: cfg.apiUrl, store: deps.store, log: deps.log, remote: name });
    this.shareTokens = new ShareTokens({
      http: deps.http, pacer: this.pacer, apiUrl: cfg.apiUrl, shareId: cfg.shareId, sharePassword: cfg.sharePassword, log: deps.log, remote: name,
    });
    this.api = new ShareApi({ http: deps.http, pacer: this.pacer, apiUrl: cfg.apiUrl, tokens: this.shareTokens, user: this.user });
    this.content = new LinkedContent({
      http: deps.http,
      log: deps.log,
      resolve: (p, e) => this.downloadLink(p, e),
      maxConcurrentDownloads: 3,
      busyCodes: ['ExceedMaxConcurrency'],
      // A copy is held while a range is read (not evicted under it), from when the range has its slot.
      holdWhileReading: (e) => this.copies?.hold(e) ?? (() => undefined),
    });
    if (cfg.shareDownload === 'copy') {
      const own = hooks.ownDrive?.(this) ?? new LegacyOwnDrive(this.user, this.api, { shareId: cfg.shareId, driveId: () => this.ownDriveId });
      this.copies = new ShareCopies(own, deps.log, name, hooks.copies);
    }
  }

  /**
   * Open the share and list the mounted folder (a refusal of the share is a ShareRefused: exit
   * code 2) before anything irreversible: only then sign the user in, which spends the
   * single-use refresh token. In copy mode, register the device session (copies write to the
   * user's drive) and delete copies that dead mounts left behind.
   */
  async connect(): Promise<void> {
    const where = `remote "${this.name}"`;
    try {
      await this.shareTokens.get();
    } catch (e) {
      if (e instanceof ShareRefused) throw e;
      throw aliyundriveError(e, `${where}: cannot open share ${this.cfg.shareId}`);
    }
    try {
      await this.list('/');
    } catch (e) {
      const refused = e instanceof DriveError && e.cause instanceof ShareRefused ? e.cause : undefined;
      if (refused) throw refused;
      throw e;
    }
    let me: { user_id?: string; default_drive_id?: string; nick_name?: string };
    try {
      me = await this.user.call('/v2/user/get', {}, 'other', { device: false });
    } catch (e) {
      throw aliyundriveError(e, `${where}: cannot read the signed-in user (the share driver needs your own legacy refresh token)`);
    }
    if (!me.user_id || !me.default_drive_id) throw new DriveError('EIO', `${where}: /v2/user/get answered without user_id or default_drive_id`);
    this.ownDriveId = me.default_drive_id;
    this.account = me.nick_name || me.user_id;
    if (this.copies) {
      try {
        await this.user.session.start(me.user_id);
        await this.copies.removeLeftovers();
      } catch (e) {
        throw aliyundriveError(e, `${where}: cannot prepare the copies folder in your drive (shareDownload "copy")`);
      }
    }
  }

  async stat(path: string): Promise<RemoteEntry> {
    if (path === '/') return { id: this.cfg.rootFolderId, name: '', isDir: true, size: 0, mtimeMs: 0, birthtimeMs: 0 };
    const { parent, name } = splitPath(path);
    const e = (await this.list(parent)).find((x) => x.name === name);
    if (!e) throw new DriveError('ENOENT', `${path}: no such file or folder in the share`);
    return e;
  }

  async list(path: string, dir?: RemoteEntry): Promise<RemoteEntry[]> {
    const parentId = dir?.id ?? (await this.idOf(path));
    const byName = new Map<string, RemoteEntry>();
    let marker = '';
    try {
      do {
        const page = await this.api.anonymous<ListAnswer>(
          '/adrive/v3/file/list',
          { share_id: this.cfg.shareId, parent_file_id: parentId, limit: 100, marker, order_by: 'name', order_direction: 'ASC' },
          'list',
        );
        for (const f of page.items ?? []) {
          this.sharerDriveId ??= f.drive_id;
          const entry = { ...toEntry(f as AliyundriveFile), readOnly: true };
          // Two items of one name: a path shows one, the newest.
          const seen = byName.get(entry.name);
          if (!seen || entry.mtimeMs > seen.mtimeMs) byName.set(entry.name, entry);
        }
        marker = page.next_marker ?? '';
      } while (marker);
    } catch (e) {
      throw shareError(e, `list ${path}`, this.name, this.cfg.shareId);
    }
    const out = [...byName.values()];
    for (const e of out) if (e.isDir) this.ids.set(joinPosix(path, e.name), e.id);
    return out;
  }

  readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer> {
    return this.content.readRange(path, entry, start, end, signal);
  }

  async quota(): Promise<Quota> {
    return {};
  }

  async about(): Promise<DriveAbout> {
    return {
      account: this.account,
      driveType: `share ${this.cfg.shareId} (read-only${this.copies ? ', downloads via copies in your drive' : ''})`,
      driveId: this.sharerDriveId,
      quota: {},
    };
  }

  async close(): Promise<void> {
    try {
      await this.copies?.close();
    } finally {
      await this.tokens.close?.();
    }
  }

  /** The folder id of a mount path, listing the parents it does not know yet. */
  private async idOf(path: string): Promise<string> {
    if (path === '/') return this.cfg.rootFolderId;
    const known = this.ids.get(path);
    if (known) return known;
    const { parent, name } = splitPath(path);
    const e = (await this.list(parent)).find((x) => x.name === name);
    if (!e) throw new DriveError('ENOENT', `${path}: no such folder in the share`);
    if (!e.isDir) throw new DriveError('ENOTDIR', `${path}: not a folder`);
    return e.id;
  }

  /**
   * The share's download link; when the service refuses it (ParamFlowException, as it does
   * today, or 429s beyond the retries), a link to a copy in the user's drive with shareDownload "copy", else EACCES.
   */
  private async downloadLink(path: string, entry: RemoteEntry): Promise<DownloadLink> {
    if (Date.now() >= this.linksRefusedUntil) {
      try {
        return await this.shareLink(entry);
      } catch (e) {
        if (!(e instanceof LinksRefused)) throw shareError(e, `download link for ${path}`, this.name, this.cfg.shareId);
        this.log.debug({ remote: this.name, path, why: e.why }, 'share download link refused');
        this.refusal = e.why;
        this.linksRefusedUntil = Date.now() + LINKS_REFUSED_MS;
      }
    }
    if (!this.copies) {
      if (!this.warnedRefusal) {
        this.warnedRefusal = true;
        this.log.warn(
          { remote: this.name },
          `share downloads are refused by the service (${this.refusal}); set "shareDownload": "copy" to read through a temporary copy in your own drive`,
        );
      }
      throw new DriveError('EACCES', `${path}: the service refuses share downloads (${this.refusal}); see "shareDownload"`, { level: 'debug' });
    }
    try {
      return await this.copies.linkFor(entry);
    } catch (e) {
      const err = shareError(e, `copy of ${path} into your drive`, this.name, this.cfg.shareId);
      if (err.fatal) throw err;
      if (err.code === 'EBUSY') throw err; // every copy in use too long: logged once by ShareCopies
      const why = err.message;
      const key = err.code + (/(\w+\.\w+|\w+Exception|\w+Forbidden)/.exec(why)?.[0] ?? '');
      if (!this.copyFailuresLogged.has(key)) {
        this.copyFailuresLogged.add(key);
        this.log.warn({ remote: this.name, err: why }, 'cannot read a shared file through a copy in your drive; reads fail with EACCES');
      }
      throw new DriveError('EACCES', `${path}: ${why}`, { level: 'debug', cause: e });
    }
  }

  private async shareLink(entry: RemoteEntry): Promise<DownloadLink> {
    const ask = () => this.api.asUser<{ download_url?: string; url?: string; expiration?: string }>(
      '/v2/file/get_share_link_download_url',
      { drive_id: this.sharerDriveId ?? '', file_id: entry.id, expire_sec: SHARE_LINK_SECONDS, share_id: this.cfg.shareId },
      'link',
      // The refusal is a persistent 429: the HTTP client must not resend it (a resend at once would
      // only meet the link rate limit). An ordinary rate-limit 429 waits its x-retry-after below.
      { device: false, maxRetries: 0 },
    );
    let a: Awaited<ReturnType<typeof ask>> | undefined;
    for (let attempt = 1; !a; attempt++) {
      try {
        a = await ask();
      } catch (e) {
        if (isParamFlow(e)) throw new LinksRefused('ParamFlowException', e);
        if (!(e instanceof HttpError) || e.status !== 429) throw e;
        // A 429 that outlasts the retries is the same lasting refusal under another code.
        if (attempt >= LINK_ATTEMPTS) throw new LinksRefused(`HTTP 429${e.serviceCode ? ` ${e.serviceCode}` : ''} ${LINK_ATTEMPTS} times in a row`, e);
        const wait = Number(e.headers?.['x-retry-after']);
        await sleep(Number.isFinite(wait) && wait > 0 ? Math.min(wait, 5_000) : 1_100);
      }
    }
    const url = a.download_url ?? a.url;
    if (!url) throw new Error('get_share_link_download_url answered without a url');
    const exp = a.expiration ? Date.parse(a.expiration) : NaN;
    return { url, expiresAt: Number.isNaN(exp) ? Date.now() + SHARE_LINK_SECONDS * 1000 : exp, headers: { referer: DOWNLOAD_REFERER } };
  }
}
