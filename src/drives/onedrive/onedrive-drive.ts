import type { RefreshTokenCredential } from '../../config/credential.js';
import type { DriveDeps, MountOptions } from '../descriptor.js';
import { joinPosix } from '../../util/posix-path.js';
import { DriveError } from '../../util/errors.js';
import type { ChangeFeed, Drive, DriveAbout, DriveCapabilities, DriveWriter, DownloadLink, Quota, RemoteEntry } from '../types.js';
import { driveBase, type OneDriveConfig } from './config.js';
import { GraphApi } from './graph-api.js';
import { graphError } from './graph-errors.js';
import { LINK_TRUST_MS, itemPath, toRemoteEntry, type ChildrenPage, type DriveItem } from './drive-items.js';
import { oneDriveTokenSource } from './token-source.js';
import type { TokenSource } from '../token-source.js';
import { OneDriveWriter } from './onedrive-writer.js';
import { MAX_FILE_BYTES } from './name-rules.js';
import { summarizeDrive } from './drive-lookup.js';
import { LinkedContent } from '../content/linked-content.js';
import { forgettingWriter } from '../content/forgetting-writer.js';
import { OneDriveChanges } from './delta.js';
import type { Logger } from '../../util/log.js';

/** Clients use the largest page Graph allows: fewer round trips per listing. */
const PAGE_SIZE = 1000;

interface DriveInfo {
  id: string;
  driveType?: string;
  owner?: { user?: { displayName?: string; email?: string }; group?: { displayName?: string } };
  quota?: { total?: number; used?: number; remaining?: number };
}

/** OneDrive personal/business and SharePoint document libraries through Microsoft Graph. */
export class OneDriveDrive implements Drive {
  readonly capabilities: DriveCapabilities = { caseInsensitive: true, linksInListing: true, hash: 'quickXor', pathLookup: true, maxFileBytes: MAX_FILE_BYTES };
  readonly writer: DriveWriter;
  /** Reads through pre-authenticated links: from the listing, else fetched per item. */
  readonly content: LinkedContent;
  private readonly api: GraphApi;
  private readonly tokens: TokenSource;
  /** The drive's base path under /v1.0, e.g. `/me/drive`. */
  private readonly base: string;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    private readonly cfg: OneDriveConfig,
    deps: DriveDeps<RefreshTokenCredential>,
    options: MountOptions = {},
  ) {
    const tokens = (this.tokens = oneDriveTokenSource(deps.http, {
      tokenUrl: `${cfg.authUrl}/${encodeURIComponent(cfg.tenant)}/oauth2/v2.0/token`,
      clientId: cfg.clientId,
      clientSecret: cfg.clientSecret,
      remote: name,
      store: deps.store,
      log: deps.log,
    }));
    this.api = new GraphApi(deps.http, tokens, `${cfg.graphUrl}/v1.0`);
    this.base = driveBase(cfg);
    this.log = deps.log;
    this.content = new LinkedContent({ http: deps.http, log: deps.log, resolve: (p, e) => this.downloadLink(p, e) });
    const writer = new OneDriveWriter({
      api: this.api,
      http: deps.http,
      log: deps.log,
      base: this.base,
      drivePath: (p) => this.drivePath(p),
      chunkSize: options.chunkSize ?? 10 * 1024 * 1024,
    });
    this.writer = forgettingWriter(writer, (id) => this.content.forget(id));
  }

  async connect(): Promise<void> {
    try {
      await this.api.json<DriveInfo>(this.base);
    } catch (e) {
      throw graphError(e, `remote "${this.name}": cannot open the drive ${this.base}`);
    }
    const root = await this.stat('/');
    if (!root.isDir) throw new DriveError('ENOTDIR', `remote "${this.name}": rootPath ${this.cfg.rootPath} is a file, not a folder`);
  }

  async stat(path: string): Promise<RemoteEntry> {
    const drivePath = this.drivePath(path);
    let item: DriveItem;
    try {
      item = await this.api.json<DriveItem>(this.base + itemPath(drivePath));
    } catch (e) {
      throw graphError(e, `stat ${path}`);
    }
    const entry = toRemoteEntry(item);
    // Graph resolves names case-insensitively; a POSIX lookup must only find the exact name,
    // or `stat Foo` would succeed while `ls` shows `foo`.
    const wanted = drivePath.split('/').pop();
    if (wanted && drivePath !== '/' && entry.name !== wanted) throw new DriveError('ENOENT', `stat ${path}: only "${entry.name}" exists`);
    return entry;
  }

  async list(path: string, dir?: RemoteEntry): Promise<RemoteEntry[]> {
    const out: RemoteEntry[] = [];
    for await (const page of this.listPages(path, dir)) for (const e of page) out.push(e);
    return out;
  }

  /** Graph's pages (`@odata.nextLink`), each turned into entries before the next is asked for. */
  async *listPages(path: string, dir?: RemoteEntry): AsyncIterable<RemoteEntry[]> {
    let next: string | undefined = dir
      ? `${this.base}/items/${encodeURIComponent(dir.id)}/children?$top=${PAGE_SIZE}`
      : `${this.base}${itemPath(this.drivePath(path))}/children?$top=${PAGE_SIZE}`;
    // Links minted before a later upload/move/remove of their item must not be used after it.
    const asked = this.content.links.now();
    while (next) {
      const page = await this.listPage(next, path, asked);
      next = page.next;
      yield page.entries;
    }
  }

  /** One page as entries; its JSON is garbage once this returns (nothing of it stays in the generator). */
  private async listPage(url: string, path: string, asked: number): Promise<{ entries: RemoteEntry[]; next?: string }> {
    let page: ChildrenPage;
    try {
      page = await this.api.json<ChildrenPage>(url);
    } catch (e) {
      throw graphError(e, `list ${path}`);
    }
    const now = Date.now();
    const items = page.value ?? [];
    const entries = new Array<RemoteEntry>(items.length);
    for (let i = 0; i < items.length; i++) {
      const e = toRemoteEntry(items[i]!, now);
      if (e.link) this.content.links.stamp(e.link, asked);
      entries[i] = e;
    }
    return { entries, next: page['@odata.nextLink'] };
  }

  readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer> {
    return this.content.readRange(path, entry, start, end, signal);
  }

  /** The root's delta (also for sub-folder mounts and business drives, filtered by the user); none on cn. */
  changes(): ChangeFeed | undefined {
    if (this.cfg.region === 'cn') {
      this.log.info(`remote "${this.name}": the cn region offers no change tracking; remote changes show when the dir cache expires`);
      return undefined;
    }
    return new OneDriveChanges(this.api, this.base, (id) => this.content.forget(id));
  }

  /** A fresh download link for a file (when the listing's one expired or was refused). */
  private async downloadLink(path: string, entry: RemoteEntry): Promise<DownloadLink> {
    let item: DriveItem;
    try {
      item = await this.api.json<DriveItem>(`${this.base}/items/${encodeURIComponent(entry.id)}`);
    } catch (e) {
      throw graphError(e, `download link for ${path}`);
    }
    // The link serves the item's bytes now: another version's must not follow the ones already read.
    if (entry.version && item.cTag && item.cTag !== entry.version) {
      throw new DriveError('EIO', `${path} changed on the service while it was open; open it again to read the new version`);
    }
    const url = item['@microsoft.graph.downloadUrl'];
    if (!url) throw new DriveError('EIO', `download link for ${path}: the service gave none`);
    return { url, expiresAt: Date.now() + LINK_TRUST_MS };
  }

  async about(): Promise<DriveAbout> {
    let d: DriveInfo;
    try {
      d = await this.api.json<DriveInfo>(this.base);
    } catch (e) {
      throw graphError(e, 'about');
    }
    const s = summarizeDrive(d);
    return { account: s.owner, driveType: s.driveType, driveId: s.id, quota: { total: d.quota?.total, used: d.quota?.used, free: d.quota?.remaining } };
  }

  async quota(): Promise<Quota> {
    try {
      const d = await this.api.json<DriveInfo>(this.base);
      return { total: d.quota?.total, used: d.quota?.used, free: d.quota?.remaining };
    } catch (e) {
      throw graphError(e, 'quota');
    }
  }

  async close(): Promise<void> {
    await this.tokens.close(); // the shared HttpClient is closed by its owner
  }

  private drivePath(path: string): string {
    return joinPosix(this.cfg.rootPath, path);
  }
}
