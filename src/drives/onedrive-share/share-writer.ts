import type { HttpClient } from '../../http/client.js';
import { memoryRefreshTokenStore } from '../../config/credential-store.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { GraphApi } from '../onedrive/graph-api.js';
import { OneDriveWriter } from '../onedrive/onedrive-writer.js';
import { TokenSource } from '../token-source.js';
import type { DriveWriter } from '../types.js';
import { fetchPageContext } from './page-context.js';
import { queryTokenHttp } from './query-token-http.js';
import type { ShareSession } from './share-session.js';

/** The page does not say how long its drive token lives: renew it after this long, or when refused. */
const DRIVE_TOKEN_TRUST_SEC = 30 * 60;

/**
 * Writes on a share with edit rights: the OneDrive writer (simple uploads, upload sessions,
 * mkdir, rename, remove, times) against the drive the page context names, its token taken from
 * the page again whenever it expires.
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
  return new OneDriveWriter({
    api,
    http: o.http,
    log: o.log,
    base: '',
    drivePath: (p) => (p === '/' ? o.folderInDrive : o.folderInDrive + p),
    chunkSize: o.chunkSize,
  });
}
