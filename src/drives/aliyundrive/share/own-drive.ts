import { HttpError } from '../../../http/http-error.js';
import type { DownloadLink } from '../../types.js';
import type { LegacyApi } from '../legacy/api.js';
import { DOWNLOAD_REFERER } from '../legacy/headers.js';
import type { ShareApi } from './share-api.js';
import type { OwnDrive } from './share-copies.js';

/** Where copies go in the user's drive: hidden, one folder per share. */
export const COPIES_FOLDER = '.drivemount-share-copies';
/** Links to copies are asked for 4 h, the longest the legacy API grants; refused ones are asked again anyway. */
const LINK_SECONDS = 14_400;

interface BatchAnswer {
  responses?: Array<{ id?: string; status?: number; body?: { drive_id?: string; file_id?: string; async_task_id?: string; code?: string; message?: string } }>;
}

/**
 * The user's own default drive through the legacy API, for the copy fallback: folders made with
 * `createWithFolders`, the copy through `/v3/batch` (it needs the share token too), links with the
 * Referer the download host wants, and removal to the recycle bin (the documented way).
 */
export class LegacyOwnDrive implements OwnDrive {
  constructor(
    private readonly user: LegacyApi,
    private readonly share: ShareApi,
    private readonly o: { shareId: string; driveId: () => string },
  ) {}

  async copiesFolder(): Promise<string> {
    const top = await this.mkdir('root', COPIES_FOLDER);
    return this.mkdir(top, this.o.shareId);
  }

  async children(folderId: string): Promise<Array<{ id: string; name: string }>> {
    const ids: Array<{ id: string; name: string }> = [];
    let marker = '';
    do {
      const page = await this.user.call<{ items?: Array<{ file_id: string; name: string }>; next_marker?: string }>(
        '/v2/file/list',
        { drive_id: this.o.driveId(), parent_file_id: folderId, limit: 200, marker, fields: '*', order_by: 'name', order_direction: 'ASC' },
        'list',
      );
      for (const f of page.items ?? []) ids.push({ id: f.file_id, name: f.name });
      marker = page.next_marker ?? '';
    } while (marker);
    return ids;
  }

  /** "refuse" answers the existing folder of that name (exist: true), so this is also "find". */
  async mkdir(parentId: string, name: string): Promise<string> {
    const a = await this.user.call<{ file_id: string }>('/adrive/v2/file/createWithFolders', {
      drive_id: this.o.driveId(), parent_file_id: parentId, name, type: 'folder', check_name_mode: 'refuse',
    });
    return a.file_id;
  }

  async copyFromShare(shareFileId: string, toParentId: string): Promise<string> {
    const a = await this.share.asUser<BatchAnswer>(
      '/v3/batch',
      {
        resource: 'file',
        requests: [{
          id: '0', method: 'POST', url: '/file/copy', headers: { 'Content-Type': 'application/json' },
          body: { share_id: this.o.shareId, file_id: shareFileId, to_drive_id: this.o.driveId(), to_parent_file_id: toParentId, auto_rename: false },
        }],
      },
      'other',
      { device: true, check: firstSubAnswer },
    );
    const r = firstSubAnswer(a);
    if (r.async_task_id) await this.appeared(r.file_id);
    return r.file_id;
  }

  async linkOf(fileId: string): Promise<DownloadLink> {
    const a = await this.user.call<{ url?: string; expiration?: string }>(
      '/v2/file/get_download_url', { drive_id: this.o.driveId(), file_id: fileId, expire_sec: LINK_SECONDS }, 'link',
    );
    if (!a.url) throw new Error('get_download_url answered without a url');
    const exp = a.expiration ? Date.parse(a.expiration) : NaN;
    return { url: a.url, expiresAt: Number.isNaN(exp) ? Date.now() + 10 * 60_000 : exp, headers: { referer: DOWNLOAD_REFERER } };
  }

  /** To the recycle bin: the legacy API's one documented removal. */
  async remove(fileId: string): Promise<void> {
    await this.user.call('/v2/recyclebin/trash', { drive_id: this.o.driveId(), file_id: fileId });
  }

  /** An asynchronous copy: wait (at most 30 s) until the new file can be read. */
  private async appeared(fileId: string): Promise<void> {
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        await this.user.call('/v2/file/get', { drive_id: this.o.driveId(), file_id: fileId });
        return;
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

/** The copy's answer in a batch, or its refusal as an HttpError (status and code of the sub-request). */
function firstSubAnswer(a: BatchAnswer): { file_id: string; async_task_id?: string } {
  const r = a.responses?.[0];
  const status = r?.status ?? 0;
  if (!r || status >= 400 || !r.body?.file_id) {
    const code = r?.body?.code;
    throw new HttpError(status >= 400 ? status : 502, `the copy into the own drive was refused: ${code ?? `status ${status}`}${r?.body?.message ? ` (${r.body.message})` : ''}`, { serviceCode: code, body: r?.body });
  }
  return { file_id: r.body.file_id, async_task_id: r.body.async_task_id };
}
