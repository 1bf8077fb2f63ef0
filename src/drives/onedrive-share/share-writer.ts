import type { HttpClient } from '../../http/client.js';
import { memoryRefreshTokenStore } from '../../config/credential-store.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { GraphApi } from '../onedrive/graph-api.js';
import { graphError } from '../onedrive/graph-errors.js';
import { itemPath, type DriveItem } from '../onedrive/drive-items.js';
import { OneDriveWriter } from '../onedrive/onedrive-writer.js';
import { TokenSource } from '../token-source.js';
import type { DriveWriter, RemoteEntry, UploadOptions, UploadSession, UploadSource } from '../types.js';
import { fetchPageContext } from './page-context.js';
import { queryTokenHttp } from './query-token-http.js';
import type { ShareSession } from './share-session.js';

/** The page does not say how long its drive token lives: renew it after this long, or when refused. */
const DRIVE_TOKEN_TRUST_SEC = 30 * 60;

/** Marks an entry's id as the drive's item id, which download.aspx does not take. */
export const DRIVE_ID_PREFIX = 'drive-item:';

/** Whether an entry's id is a listing's UniqueId (what download.aspx takes). */
export function isListingId(id: string): boolean {
  return !id.startsWith(DRIVE_ID_PREFIX);
}

/**
 * Writes on a share with edit rights: the OneDrive writer (simple uploads, upload sessions,
 * mkdir, rename with its aside-name replace, remove, times) against the drive the page context
 * names, its token taken from the page again whenever it expires.
 */
export function shareWriter(o: {
  http: HttpClient;
  session: ShareSession;
  log: Logger;
  remote: string;
  driveUrl: string;
  /** The shared folder's path from the drive's root ("/Shared Team"). */
  folderInDrive: string;
  chunkSize: number;
}): DriveWriter {
  const tokens = new TokenSource(
    async () => {
      const ctx = await fetchPageContext(o.http, o.session);
      if (!ctx.drive) throw new DriveError('EROFS', `remote "${o.remote}": the share no longer grants edit rights`);
      return { accessToken: ctx.drive.accessToken, expiresInSec: DRIVE_TOKEN_TRUST_SEC };
    },
    // TokenSource keeps a refresh token; a share has none, the page is its renewal.
    { remote: o.remote, store: memoryRefreshTokenStore('page-context'), log: o.log },
  );
  const api = new GraphApi(queryTokenHttp(o.http), tokens, o.driveUrl);
  const drivePath = (p: string) => (p === '/' ? o.folderInDrive : o.folderInDrive + p);
  return new ShareWriter(api, drivePath, new OneDriveWriter({ api, http: o.http, log: o.log, base: '', drivePath, chunkSize: o.chunkSize }));
}

/**
 * The drive is addressed by path (`{driveUrl}/root:/path:`, as the share's page context offers
 * it): the listing's UniqueIds are SharePoint list ids, not the drive's item ids. Calls that need
 * the drive's id (moves, removal, times) first look the item up by its path (1 call). An entry a
 * write returns keeps the drive's id, marked: learning its UniqueId would cost a listing of its
 * whole folder (167 pages for 5,000 entries) per write, so only a read of it pays that, once
 * (ShareDrive remembers the UniqueId), and the next listing of the folder replaces the entry.
 */
class ShareWriter implements DriveWriter {
  constructor(
    private readonly api: GraphApi,
    private readonly drivePath: (p: string) => string,
    private readonly inner: OneDriveWriter,
  ) {}

  checkName(path: string): void {
    this.inner.checkName(path);
  }

  async upload(path: string, src: UploadSource, opts: UploadOptions): Promise<RemoteEntry> {
    return this.marked(await this.inner.upload(path, src, opts));
  }

  async resumeUpload(path: string, src: UploadSource, session: UploadSession, opts: UploadOptions): Promise<RemoteEntry> {
    return this.marked(await this.inner.resumeUpload(path, src, session, opts));
  }

  async mkdir(path: string): Promise<RemoteEntry> {
    return this.marked(await this.inner.mkdir(path));
  }

  async move(from: string, entry: RemoteEntry, to: string, opts: { replaces?: RemoteEntry }): Promise<RemoteEntry> {
    const source = await this.inDrive(from, entry, `rename ${from} → ${to}`);
    const replaces = opts.replaces && (await this.inDrive(to, opts.replaces, `rename ${from} → ${to}`));
    return this.marked(await this.inner.move(from, source, to, { replaces }), entry.id);
  }

  async remove(path: string, entry: RemoteEntry): Promise<void> {
    let item: RemoteEntry;
    try {
      item = await this.inDrive(path, entry, `remove ${path}`);
    } catch (e) {
      if (e instanceof DriveError && e.code === 'ENOENT') return; // already gone
      throw e;
    }
    await this.inner.remove(path, item);
  }

  async setModified(path: string, entry: RemoteEntry, mtimeMs: number): Promise<RemoteEntry> {
    const done = await this.inner.setModified(path, await this.inDrive(path, entry, `set times of ${path}`), mtimeMs);
    return this.marked(done, entry.id);
  }

  /**
   * The drive's answer as an entry of the share: its UniqueId when the item already had one (a
   * move or a time change keeps it), else the drive's id, marked as such.
   */
  private marked(done: RemoteEntry, known?: string): RemoteEntry {
    return { ...done, id: known !== undefined && isListingId(known) ? known : DRIVE_ID_PREFIX + done.id, link: undefined };
  }

  /** `entry` with the drive's id for it, looked up by path (1 call); the entry's times are kept. */
  private async inDrive(path: string, entry: RemoteEntry, what: string): Promise<RemoteEntry> {
    if (!isListingId(entry.id)) return { ...entry, id: entry.id.slice(DRIVE_ID_PREFIX.length) };
    let item: DriveItem;
    try {
      item = await this.api.json<DriveItem>(`${itemPath(this.drivePath(path))}?$select=id,name`);
    } catch (e) {
      throw graphError(e, what);
    }
    if (item.name.toLowerCase() !== entry.name.toLowerCase()) throw new DriveError('ENOENT', `${what}: the drive holds another item at this path`);
    return { ...entry, id: item.id };
  }
}



