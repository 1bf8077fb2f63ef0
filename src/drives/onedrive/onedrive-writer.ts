import type { HttpClient } from '../../http/client.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { DriveWriter, RemoteEntry, UploadOptions, UploadSession, UploadSource } from '../types.js';
import type { GraphApi } from './graph-api.js';
import { graphError } from './graph-errors.js';
import { itemPath, toRemoteEntry, type DriveItem } from './drive-items.js';
import { MAX_FILE_BYTES, checkDrivePath } from './name-rules.js';
import { moveItem } from './move-item.js';
import { FRAGMENT_UNIT, uploadInSession, verifyHash } from './upload-session.js';
import { parentOf, splitPath } from '../../util/posix-path.js';

/** Files up to this size go in one simple PUT (docs/services/onedrive.md, "Simple upload"). */
const SIMPLE_UPLOAD_MAX = 4 * 1024 * 1024;

export interface OneDriveWriterDeps {
  api: GraphApi;
  http: HttpClient;
  log: Logger;
  /** `/me/drive`, `/drives/{id}` or `/sites/{id}/drive`. */
  base: string;
  /** Mount path → path from the drive root. */
  drivePath: (path: string) => string;
  /** Upload session fragment size: a multiple of 320 KiB. */
  chunkSize: number;
}

export class OneDriveWriter implements DriveWriter {
  constructor(private readonly d: OneDriveWriterDeps) {
    if (d.chunkSize <= 0 || d.chunkSize % FRAGMENT_UNIT !== 0 || d.chunkSize >= 60 * 1024 * 1024) {
      throw new DriveError('EINVAL', `upload chunk size must be a multiple of 320 KiB below 60 MiB (got ${d.chunkSize} bytes)`);
    }
  }

  checkName(path: string): void {
    checkDrivePath(this.d.drivePath(path), path);
  }

  async upload(path: string, src: UploadSource, opts: UploadOptions): Promise<RemoteEntry> {
    return this.send(path, src, opts, undefined);
  }

  /** A session of an earlier process: GET its URL for where the service stands (a new session if it expired). */
  async resumeUpload(path: string, src: UploadSource, session: UploadSession, opts: UploadOptions): Promise<RemoteEntry> {
    return this.send(path, src, opts, session.kind === 'onedrive' ? { url: session.url } : undefined);
  }

  private async send(path: string, src: UploadSource, opts: UploadOptions, resume: { url: string } | undefined): Promise<RemoteEntry> {
    this.checkName(path);
    if (src.size > MAX_FILE_BYTES) throw new DriveError('EFBIG', `${path}: OneDrive files are limited to 250 GB`);
    const target = { itemPath: this.d.base + itemPath(this.d.drivePath(path)), shown: path };
    if (src.size <= SIMPLE_UPLOAD_MAX) return this.simpleUpload(target, src, opts);
    const item = await uploadInSession(this.d, target, src, { chunkSize: this.d.chunkSize, mtimeMs: opts.mtimeMs, resume, onSession: opts.onSession });
    return toRemoteEntry(item);
  }

  /** One PUT of the whole body; times are set by a PATCH after it (a simple upload cannot carry them). */
  private async simpleUpload(target: { itemPath: string; shown: string }, src: UploadSource, opts: { mtimeMs?: number }): Promise<RemoteEntry> {
    const body = await src.read(0, src.size);
    let item: DriveItem;
    try {
      item = await this.d.api.json<DriveItem>(`${target.itemPath}/content?@microsoft.graph.conflictBehavior=replace`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/octet-stream' },
        idempotent: true, // replacing with the same bytes again is harmless
      });
    } catch (e) {
      throw graphError(e, `upload ${target.shown}`);
    }
    const hasher = new QuickXorHash();
    hasher.update(body);
    verifyHash(item, hasher, target.shown);
    src.progress?.(src.size);
    const entry = toRemoteEntry(item);
    return opts.mtimeMs === undefined ? entry : this.setModified(target.shown, entry, opts.mtimeMs);
  }

  async mkdir(path: string): Promise<RemoteEntry> {
    this.checkName(path);
    const drivePath = this.d.drivePath(path);
    const { parent, name } = splitPath(drivePath);
    try {
      const item = await this.d.api.json<DriveItem>(`${this.d.base}${itemPath(parent)}/children`, {
        method: 'POST',
        body: JSON.stringify({ name, folder: {}, '@microsoft.graph.conflictBehavior': 'fail' }),
      });
      return toRemoteEntry(item);
    } catch (e) {
      throw graphError(e, `mkdir ${path}`);
    }
  }

  async move(from: string, entry: RemoteEntry, to: string, opts: { replaces?: RemoteEntry }): Promise<RemoteEntry> {
    this.checkName(to);
    const { parent: parentPath, name } = splitPath(this.d.drivePath(to));
    let parentId: string | undefined;
    if (parentPath !== parentOf(this.d.drivePath(from))) {
      try {
        parentId = (await this.d.api.json<DriveItem>(`${this.d.base}${itemPath(parentPath)}?$select=id`)).id;
      } catch (e) {
        throw graphError(e, `rename ${from} → ${to}`);
      }
    }
    return moveItem(this.d, entry, { name, parentId, from, to }, opts.replaces);
  }

  async remove(path: string, entry: RemoteEntry): Promise<void> {
    try {
      await this.d.api.json(`${this.d.base}/items/${encodeURIComponent(entry.id)}`, { method: 'DELETE', idempotent: true, acceptStatus: [404] });
    } catch (e) {
      throw graphError(e, `remove ${path}`);
    }
  }

  async setModified(path: string, entry: RemoteEntry, mtimeMs: number): Promise<RemoteEntry> {
    try {
      const item = await this.d.api.json<DriveItem>(`${this.d.base}/items/${encodeURIComponent(entry.id)}`, {
        method: 'PATCH',
        body: JSON.stringify({ fileSystemInfo: { lastModifiedDateTime: new Date(mtimeMs).toISOString() } }),
      });
      return toRemoteEntry(item);
    } catch (e) {
      throw graphError(e, `set times of ${path}`);
    }
  }
}

