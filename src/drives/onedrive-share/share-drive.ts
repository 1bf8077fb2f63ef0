import { LRUCache } from 'lru-cache';
import type { DriveDeps, MountOptions } from '../descriptor.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { HttpClient } from '../../http/client.js';
import { joinPosix, splitPath } from '../../util/posix-path.js';
import type { Drive, DriveAbout, DriveCapabilities, DriveWriter, Quota, RemoteEntry } from '../types.js';
import type { ShareConfig } from './config.js';
import { CookieContent } from './cookie-content.js';
import { listFolder, rowToEntry } from './listing.js';
import { ShareSession } from './share-session.js';
import { ownerOf } from './share-site.js';
import { fetchPageContext } from './page-context.js';
import { isListingId, shareWriter } from './share-writer.js';

/**
 * A folder someone shared by link from OneDrive for work or school or SharePoint, read with the
 * cookie the link grants (no account of our own). Read-only unless the share grants edit rights.
 */
export class ShareDrive implements Drive {
  readonly capabilities: DriveCapabilities = { caseInsensitive: true, linksInListing: false, pathLookup: false, writeIdsProvisional: true };
  writer?: DriveWriter;
  readonly session: ShareSession;
  private readonly content: CookieContent;
  private readonly http: HttpClient;
  private readonly log: Logger;
  /** The site's title from the page (the owner's name), once connected. */
  private owner?: string;
  /** Files written through the mount: drive id → the UniqueId their folder's listing gave. */
  private readonly uniqueIds = new LRUCache<string, Promise<string>>({ max: 4096 });

  constructor(
    readonly name: string,
    private readonly cfg: ShareConfig,
    deps: DriveDeps<unknown>,
    private readonly options: MountOptions = {},
  ) {
    this.http = deps.http;
    this.log = deps.log;
    this.session = new ShareSession(deps.http, cfg.url, cfg.password, deps.log);
    this.content = new CookieContent(deps.http, this.session, deps.log);
  }

  /**
   * Open the link (a refusal is a ShareRefused: wrong password, revoked link), list the shared
   * folder once, and read the page context: a drive URL and token there mean edit rights.
   */
  async connect(): Promise<void> {
    const s = await this.session.current();
    await this.list('/');
    const ctx = await fetchPageContext(this.http, this.session);
    this.owner = ctx.webTitle;
    if (ctx.drive) {
      this.writer = shareWriter({
        http: this.http,
        session: this.session,
        log: this.log,
        remote: this.name,
        driveUrl: ctx.drive.url,
        folderInDrive: s.site.rootFolder.slice(s.site.listUrl.length),
        chunkSize: this.options.chunkSize ?? 10 * 1024 * 1024,
      });
    }
  }

  async stat(path: string): Promise<RemoteEntry> {
    if (path === '/') {
      const s = await this.session.current();
      return { id: s.site.rootFolder, name: '', isDir: true, size: 0, mtimeMs: 0, birthtimeMs: 0 };
    }
    // No call finds one item by path: list its folder (which names all siblings at once).
    const { parent, name } = splitPath(path);
    const found = (await this.list(parent)).find((e) => e.name === name);
    if (!found) throw new DriveError('ENOENT', `stat ${path}: no such file in the share`);
    return found;
  }

  async list(path: string): Promise<RemoteEntry[]> {
    const s = await this.session.current();
    const folder = path === '/' ? s.site.rootFolder : s.site.rootFolder + joinPosix('/', path);
    const rows = await listFolder(this.http, this.session, folder, `list ${path}`);
    const out: RemoteEntry[] = [];
    for (const row of rows) {
      const e = rowToEntry(row);
      if (e) out.push(e);
      else this.log.debug({ path, fields: Object.keys(row) }, 'listing row without a name or id, skipped'); // a row may hold a pre-authenticated URL
    }
    return out;
  }

  readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer> {
    if (end <= start) return (async function* () {})();
    if (isListingId(entry.id)) return this.content.readRange(path, entry, start, end, signal);
    return this.readWritten(path, entry, start, end, signal);
  }

  /**
   * A file as a write through the drive returned it: download.aspx takes the listing's UniqueId,
   * which the drive's answer does not carry, so its folder is listed once to learn it (one
   * listing for all the ranges of all its readers: remembered by the drive's id, which names one
   * item for good).
   */
  private async *readWritten(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    let uniqueId = this.uniqueIds.get(entry.id);
    if (uniqueId === undefined) {
      uniqueId = (async () => {
        const listed = await this.stat(path);
        if (!isListingId(listed.id)) throw new DriveError('EIO', `read ${path}: the share's listing does not show the file yet`);
        return listed.id;
      })();
      this.uniqueIds.set(entry.id, uniqueId);
      uniqueId.catch(() => this.uniqueIds.delete(entry.id));
    }
    yield* this.content.readRange(path, { ...entry, id: await uniqueId }, start, end, signal);
  }

  async about(): Promise<DriveAbout> {
    const s = await this.session.current();
    return {
      account: this.owner ? `${this.owner} (${ownerOf(s.site)})` : ownerOf(s.site),
      driveType: `shared folder ${s.site.rootFolder} (${this.writer ? 'writable' : 'read-only'})`,
      quota: await this.quota(),
    };
  }

  /** A share tells nothing of the owner's space. */
  async quota(): Promise<Quota> {
    return {};
  }

  async close(): Promise<void> {
    /* the shared HttpClient is closed by its owner */
  }
}
