// One-shot calls a login makes with the access token it just received, before any remote exists.

import type { HttpClient } from '../../../http/client.js';
import { HttpError } from '../../../http/http-error.js';
import { ConfigError, DriveError } from '../../../util/errors.js';

export interface AccountDrives {
  userId?: string;
  name?: string;
  drives: { default?: string; resource?: string; backup?: string };
}

export class AccountLookup {
  constructor(
    private readonly http: HttpClient,
    private readonly apiUrl: string,
    private readonly accessToken: string,
  ) {}

  private call<T>(path: string, body: object): Promise<T> {
    return this.http.json<T>({
      method: 'POST',
      url: `${this.apiUrl}/adrive/v1.0/${path}`,
      headers: { authorization: `Bearer ${this.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      idempotent: true, // reads only
    });
  }

  async drives(): Promise<AccountDrives> {
    const a = await this.call<{ user_id?: string; name?: string; default_drive_id?: string; resource_drive_id?: string; backup_drive_id?: string }>('user/getDriveInfo', {});
    return { userId: a.user_id, name: a.name, drives: { default: a.default_drive_id, resource: a.resource_drive_id, backup: a.backup_drive_id } };
  }

  /** The root folder id must name a folder of that drive before the remote is saved. */
  async requireFolder(driveId: string, fileId: string): Promise<string> {
    let f: { type?: string; name?: string };
    try {
      f = await this.call('openFile/get', { drive_id: driveId, file_id: fileId });
    } catch (e) {
      if (e instanceof HttpError && (e.status === 404 || e.status === 400)) {
        throw new ConfigError(`--root-folder-id ${fileId}: no such folder in that drive (${e.serviceCode ?? `HTTP ${e.status}`})`);
      }
      throw e;
    }
    if (f.type !== 'folder') throw new DriveError('ENOTDIR', `--root-folder-id ${fileId} is a file ("${f.name ?? ''}"), not a folder`);
    return f.name ?? fileId;
  }
}
