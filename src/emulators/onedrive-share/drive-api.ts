// The Graph-style drive a share with edit rights offers through its page context
// (`driveInfo.driveUrl` + `driveInfo.driveAccessToken`, the token sent as `?access_token=`):
// the subset a writer uses — items by path, simple PUT, upload sessions, mkdir, PATCH (rename,
// move, times) and DELETE — confined to the shared folder. Its item ids are drive item ids, not
// the listing's UniqueIds (nothing says they are the same), and it is as strict as the Graph
// emulator: conflictBehavior only from the URL of a PATCH, no folder replaced, a move without
// fileSystemInfo resets the modification time, quickXorHash on files, 429s counted with the host.

import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { EveryN, NumericSettings } from '../common/faults.js';
import { HashCache } from '../onedrive/hashes.js';
import { readBody, readJson, sendEmpty, sendJson } from '../common/http.js';
import type { Stats } from '../common/stats.js';
import type { ShareItem, ShareTree } from './items.js';
import type { ShareFaults } from './settings.js';

/** Simple uploads are for small files (Graph's documented 4 MB limit). */
const SIMPLE_MAX = 4 * 1024 * 1024;
const FRAGMENT_UNIT = 320 * 1024;

export class GraphStyleError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const send = (res: ServerResponse, e: GraphStyleError) => sendJson(res, e.status, { error: { code: e.code, message: e.message } });

interface Session {
  rel: string;
  tmp: string;
  size: number;
  next: number;
  mtimeMs?: number;
  lastActive: number;
}

/** A drive item id for a UniqueId: stable (so it survives renames with it), and of another form. */
function driveIdOf(uniqueId: string): string {
  return '01' + createHash('sha1').update(`drive-item:${uniqueId}`).digest('hex').slice(0, 32).toUpperCase();
}

export class ShareDriveApi {
  private readonly hashes = new HashCache();
  /** drive item id → UniqueId, for ids handed out. */
  private readonly byDriveId = new Map<string, string>();
  private token = '';
  private tokenIssued = 0;
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly tree: ShareTree,
    /** The library-relative path of the shared folder ("/Shared Team"). */
    private readonly sharedInLibrary: string,
    private readonly faults: NumericSettings<ShareFaults>,
    private readonly stats: Stats,
    private readonly uploadBase: () => string,
    /** The host's throttle: SharePoint counts drive calls with listings and downloads. */
    private readonly throttle: EveryN,
  ) {}

  /** The token the page context hands out now (a new one once the last has expired). */
  currentToken(): string {
    if (!this.token || Date.now() - this.tokenIssued >= this.faults.get().driveTokenTtlSec * 1000) {
      this.token = randomBytes(24).toString('base64url');
      this.tokenIssued = Date.now();
    }
    return this.token;
  }

  async handle(req: IncomingMessage, res: ServerResponse, sub: string, query: URLSearchParams): Promise<void> {
    try {
      this.stats.inc('driveApi');
      const t = query.get('access_token');
      if (!t || t !== this.token || Date.now() - this.tokenIssued >= this.faults.get().driveTokenTtlSec * 1000 || this.faults.get().revoked > 0) {
        this.stats.inc('driveTokenRefused');
        throw new GraphStyleError(401, 'InvalidAuthenticationToken', 'Access token is missing, invalid or has expired.');
      }
      if (this.throttle.hit()) {
        this.stats.inc('throttled');
        res.setHeader('Retry-After', String(this.faults.get().retryAfterSec));
        throw new GraphStyleError(429, 'activityLimitReached', 'The request has been throttled');
      }
      await this.route(req, res, sub, query);
    } catch (e) {
      if (!(e instanceof GraphStyleError)) throw e;
      send(res, e);
    }
  }

  async handleUpload(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    try {
      await this.fragment(req, res, id);
    } catch (e) {
      if (!(e instanceof GraphStyleError)) throw e;
      send(res, e);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, sub: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const m = /^\/root(?::(\/[^:]*):?)?(\/[A-Za-z]+)?$/.exec(sub);
    if (m) {
      const drivePath = m[1] ?? '/';
      const action = m[2];
      const rel = this.relOf(drivePath);
      if (!action && method === 'GET') return this.sendItem(res, 200, await this.must(rel));
      if (!action && (method === 'PATCH' || method === 'DELETE')) {
        if (rel === '/') throw new GraphStyleError(403, 'accessDenied', 'The shared folder itself cannot be changed through the share.');
        const item = await this.must(rel);
        if (method === 'PATCH') return this.patch(req, res, item, query);
        this.stats.inc('delete');
        await fs.rm(item.abs, { recursive: true, force: true });
        return sendEmpty(res, 204);
      }
      if (action === '/content' && method === 'PUT') return this.simpleUpload(req, res, rel);
      if (action === '/children' && method === 'POST') return this.mkdir(req, res, rel);
      if (action === '/createUploadSession' && method === 'POST') return this.createSession(req, res, rel);
    }
    const byId = /^\/items\/([^/]+)$/.exec(sub);
    if (byId) {
      const item = await this.byId(byId[1]!);
      if (!item || item.rel === '/') throw new GraphStyleError(404, 'itemNotFound', 'The resource could not be found.');
      if (method === 'PATCH') return this.patch(req, res, item, query);
      if (method === 'DELETE') {
        this.stats.inc('delete');
        await fs.rm(item.abs, { recursive: true, force: true });
        return sendEmpty(res, 204);
      }
      if (method === 'GET') return this.sendItem(res, 200, item);
    }
    throw new GraphStyleError(400, 'invalidRequest', `Unsupported request ${method} ${sub}`);
  }

  /** The item a drive item id names (only ids this drive handed out exist). */
  private async byId(id: string): Promise<ShareItem | undefined> {
    const uniqueId = this.byDriveId.get(id.toUpperCase());
    return uniqueId === undefined ? undefined : this.tree.byUniqueId(uniqueId);
  }

  /** Library path → path below the shared folder; anything outside the share is refused. */
  private relOf(drivePath: string): string {
    const p = drivePath.replace(/\/+$/, '') || '/';
    if (p === this.sharedInLibrary) return '/';
    if (!p.startsWith(`${this.sharedInLibrary}/`) || p.split('/').some((s) => s === '..' || s === '.')) {
      throw new GraphStyleError(403, 'accessDenied', 'The share does not grant access to this item.');
    }
    return p.slice(this.sharedInLibrary.length);
  }

  private async must(rel: string): Promise<ShareItem> {
    const item = await this.tree.item(rel);
    if (!item) throw new GraphStyleError(404, 'itemNotFound', 'The resource could not be found.');
    return item;
  }

  /** The item a name refers to in its folder, ignoring case as SharePoint does. */
  private async twin(rel: string): Promise<ShareItem | undefined> {
    const name = path.posix.basename(rel).toLowerCase();
    return (await this.tree.children(path.posix.dirname(rel)))?.find((c) => c.name.toLowerCase() === name);
  }

  private async parentDir(rel: string): Promise<void> {
    const parent = await this.tree.item(path.posix.dirname(rel));
    if (!parent?.isDir) throw new GraphStyleError(404, 'itemNotFound', 'The parent folder does not exist.');
  }

  private async simpleUpload(req: IncomingMessage, res: ServerResponse, rel: string): Promise<void> {
    this.stats.inc('simpleUpload');
    if (rel === '/') throw new GraphStyleError(400, 'invalidRequest', 'Cannot upload onto the shared folder.');
    await this.parentDir(rel);
    const existing = await this.twin(rel);
    if (existing?.isDir) throw new GraphStyleError(409, 'nameAlreadyExists', 'A folder has this name.');
    if (existing) rel = existing.rel; // a case twin is replaced, keeping its name
    const body = await readBody(req, SIMPLE_MAX).catch(() => {
      throw new GraphStyleError(413, 'requestTooLarge', 'Simple uploads take at most 4 MB: use an upload session.');
    });
    const abs = path.join(this.tree.root, rel);
    const tmp = `${abs}.~upload-${randomBytes(4).toString('hex')}`;
    await fs.writeFile(tmp, body);
    await fs.rename(tmp, abs);
    if (existing) await this.tree.keep(rel, existing.uniqueId); // replaced content: the same item
    await this.sendItem(res, existing ? 200 : 201, await this.must(rel));
  }

  private async mkdir(req: IncomingMessage, res: ServerResponse, parentRel: string): Promise<void> {
    this.stats.inc('mkdir');
    const parent = await this.must(parentRel);
    if (!parent.isDir) throw new GraphStyleError(400, 'invalidRequest', 'The parent is not a folder.');
    const b = (await readJson(req).catch(() => undefined)) as { name?: string; folder?: object; '@microsoft.graph.conflictBehavior'?: string } | undefined;
    if (!b?.name || !b.folder || b.name.includes('/')) throw new GraphStyleError(400, 'invalidRequest', 'A folder needs a name and "folder": {}.');
    const rel = parentRel === '/' ? `/${b.name}` : `${parentRel}/${b.name}`;
    if (await this.twin(rel)) throw new GraphStyleError(409, 'nameAlreadyExists', 'An item with this name already exists.');
    await fs.mkdir(path.join(this.tree.root, rel));
    await this.sendItem(res, 201, await this.must(rel));
  }

  private async createSession(req: IncomingMessage, res: ServerResponse, rel: string): Promise<void> {
    this.stats.inc('uploadSession');
    if (rel === '/') throw new GraphStyleError(400, 'invalidRequest', 'Cannot upload onto the shared folder.');
    await this.parentDir(rel);
    const b = (await readJson(req).catch(() => undefined)) as { item?: { fileSystemInfo?: { lastModifiedDateTime?: string } } } | undefined;
    const id = randomBytes(16).toString('hex');
    const mtime = Date.parse(b?.item?.fileSystemInfo?.lastModifiedDateTime ?? '');
    const abs = path.join(this.tree.root, rel);
    this.sessions.set(id, { rel, tmp: `${abs}.~session-${id}`, size: -1, next: 0, mtimeMs: Number.isNaN(mtime) ? undefined : mtime, lastActive: Date.now() });
    const expires = new Date(Date.now() + this.faults.get().uploadSessionTtlSec * 1000).toISOString();
    sendJson(res, 200, { uploadUrl: `${this.uploadBase()}/${id}`, expirationDateTime: expires, nextExpectedRanges: ['0-'] });
  }

  private async fragment(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s || Date.now() - s.lastActive >= this.faults.get().uploadSessionTtlSec * 1000) {
      this.sessions.delete(id);
      throw new GraphStyleError(404, 'itemNotFound', 'The upload session was not found or has expired.');
    }
    if (req.method === 'GET') return sendJson(res, 200, { nextExpectedRanges: [`${s.next}-`] });
    if (req.method === 'DELETE') {
      this.sessions.delete(id);
      await fs.rm(s.tmp, { force: true });
      return sendEmpty(res, 204);
    }
    if (req.method !== 'PUT') throw new GraphStyleError(405, 'invalidRequest', 'PUT fragments to an upload URL.');
    this.stats.inc('uploadFragment');
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
    if (!m) throw new GraphStyleError(400, 'invalidRequest', 'Content-Range bytes START-END/SIZE is required.');
    const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (s.size >= 0 && size !== s.size) throw new GraphStyleError(400, 'invalidRequest', 'The total size changed.');
    if (start !== s.next) throw new GraphStyleError(416, 'invalidRange', `The next expected byte is ${s.next}.`);
    const len = end - start + 1;
    if (end + 1 < size && len % FRAGMENT_UNIT !== 0) throw new GraphStyleError(400, 'invalidRequest', 'Fragments must be multiples of 320 KiB.');
    const body = await readBody(req, 60 * 1024 * 1024);
    if (body.length !== len) throw new GraphStyleError(400, 'invalidRequest', 'The body does not match Content-Range.');
    s.size = size;
    await fs.appendFile(s.tmp, body);
    s.next = end + 1;
    s.lastActive = Date.now();
    if (s.next < size) return sendJson(res, 202, { nextExpectedRanges: [`${s.next}-`] });
    this.sessions.delete(id);
    const existing = await this.twin(s.rel);
    if (existing?.isDir) throw new GraphStyleError(409, 'nameAlreadyExists', 'A folder has this name.');
    if (existing) s.rel = existing.rel; // a case twin is replaced, keeping its name
    const abs = path.join(this.tree.root, s.rel);
    await fs.rename(s.tmp, abs);
    if (s.mtimeMs !== undefined) await fs.utimes(abs, new Date(), new Date(s.mtimeMs));
    if (existing) await this.tree.keep(s.rel, existing.uniqueId);
    await this.sendItem(res, existing ? 200 : 201, await this.must(s.rel));
  }

  /**
   * Rename, move and times, as the Graph emulator does them: conflictBehavior is read from the URL
   * only (a body annotation is ignored; default fail), `replace` never puts anything over a folder
   * nor a folder over a file, and a move or rename without fileSystemInfo.lastModifiedDateTime
   * resets the modification time to now.
   */
  private async patch(req: IncomingMessage, res: ServerResponse, item: ShareItem, query: URLSearchParams): Promise<void> {
    this.stats.inc('patch');
    const b = (await readJson(req).catch(() => undefined)) as
      | { name?: string; parentReference?: { id?: string }; fileSystemInfo?: { lastModifiedDateTime?: string } }
      | undefined;
    if (!b) throw new GraphStyleError(400, 'invalidRequest', 'The body must be JSON.');
    const conflict = query.get('@microsoft.graph.conflictBehavior') ?? 'fail';
    let rel = item.rel;
    const moves = b.name !== undefined || b.parentReference !== undefined;
    if (moves) {
      let parentRel = path.posix.dirname(item.rel);
      if (b.parentReference?.id !== undefined) {
        const parent = await this.byId(b.parentReference.id);
        if (!parent?.isDir) throw new GraphStyleError(404, 'itemNotFound', 'The new parent folder does not exist.');
        parentRel = parent.rel;
      }
      const name = b.name ?? item.name;
      if (!name || name.includes('/')) throw new GraphStyleError(400, 'invalidRequest', 'Invalid name.');
      const to = parentRel === '/' ? `/${name}` : `${parentRel}/${name}`;
      if (to === item.rel || to.startsWith(`${item.rel}/`)) {
        if (to !== item.rel) throw new GraphStyleError(400, 'invalidRequest', 'A folder cannot move into itself.');
      } else {
        const target = await this.twin(to);
        if (target && target.rel !== item.rel) {
          if (conflict !== 'replace' || target.isDir || item.isDir) throw new GraphStyleError(409, 'nameAlreadyExists', 'An item with this name already exists.');
          await fs.rm(target.abs, { force: true });
        }
        await fs.rename(item.abs, path.join(this.tree.root, to));
        rel = to;
      }
    }
    const t = b.fileSystemInfo?.lastModifiedDateTime;
    let ms = moves ? Date.now() : undefined;
    if (t !== undefined) {
      ms = Date.parse(t);
      if (Number.isNaN(ms)) throw new GraphStyleError(400, 'invalidRequest', 'lastModifiedDateTime is not a date.');
    }
    if (ms !== undefined) await fs.utimes(path.join(this.tree.root, rel), new Date(), new Date(ms));
    await this.sendItem(res, 200, await this.must(rel));
  }

  private async sendItem(res: ServerResponse, status: number, item: ShareItem): Promise<void> {
    const modified = item.stat.mtime.toISOString();
    const created = (item.stat.birthtimeMs > 0 ? item.stat.birthtime : item.stat.mtime).toISOString();
    const id = driveIdOf(item.uniqueId);
    this.byDriveId.set(id, item.uniqueId);
    const file = item.isDir ? undefined : { mimeType: 'application/octet-stream', hashes: { quickXorHash: await this.hashes.quickXorHash(item.abs, item.stat) } };
    sendJson(res, status, {
      id,
      name: item.name,
      size: item.isDir ? 0 : item.stat.size,
      createdDateTime: created,
      lastModifiedDateTime: modified,
      fileSystemInfo: { createdDateTime: created, lastModifiedDateTime: modified },
      ...(item.isDir ? { folder: { childCount: (await this.tree.children(item.rel))?.length ?? 0 } } : { file }),
    });
  }
}
