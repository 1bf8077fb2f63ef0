// The shared folder on disk and the ids SharePoint gives its items: a UniqueId per item (stable
// for a path, so a driver's remembered ids stay valid across emulator restarts), and the
// server-relative URLs the listing and download calls use.

import { createHash } from 'node:crypto';
import { promises as fs, type Stats as FsStats } from 'node:fs';
import path from 'node:path';

export interface ShareItem {
  /** POSIX path below the shared folder ("/" for the folder itself). */
  rel: string;
  abs: string;
  name: string;
  isDir: boolean;
  stat: FsStats;
  /** GUID without braces, upper case. */
  uniqueId: string;
}

export function uniqueIdOf(rel: string): string {
  const h = createHash('sha1').update(`share-item:${rel}`).digest('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class ShareTree {
  /** UniqueId → rel, learnt as items are listed (downloads of unlisted ids search the tree). */
  private readonly ids = new Map<string, string>();
  /** rel → UniqueId for items that moved: SharePoint keeps an item's UniqueId across renames. */
  private readonly moved = new Map<string, string>();

  constructor(
    readonly root: string,
    /** Server-relative URL of the shared folder, e.g. /personal/jdoe/Documents/Shared Team. */
    readonly sharedUrl: string,
  ) {}

  /** The rel path of a server-relative folder URL, or undefined when it is outside the share. */
  relOf(serverRelative: string): string | undefined {
    const url = serverRelative.replace(/\/+$/, '');
    if (url === this.sharedUrl) return '/';
    if (!url.startsWith(`${this.sharedUrl}/`)) return undefined;
    const rel = url.slice(this.sharedUrl.length);
    if (rel.split('/').some((s) => s === '..' || s === '.')) return undefined;
    return rel;
  }

  async item(rel: string): Promise<ShareItem | undefined> {
    const abs = path.join(this.root, ...rel.split('/').filter(Boolean));
    const stat = await fs.stat(abs).catch(() => undefined);
    if (!stat) return undefined;
    return this.itemOf(rel, abs, stat);
  }

  /** An item (and everything below it) now lives at `to`: keep its ids. */
  renamed(from: string, to: string): void {
    const changes: [string, string][] = [];
    for (const [id, rel] of this.ids) {
      if (rel === from || rel.startsWith(`${from}/`)) changes.push([id, to + rel.slice(from.length)]);
    }
    for (const [rel] of [...this.moved]) if (rel === from || rel.startsWith(`${from}/`)) this.moved.delete(rel);
    for (const [id, rel] of changes) {
      this.ids.set(id, rel);
      this.moved.set(rel, id);
    }
  }

  /** An item was removed: forget its id. */
  removed(rel: string): void {
    for (const [id, r] of [...this.ids]) if (r === rel || r.startsWith(`${rel}/`)) this.ids.delete(id);
    for (const [r] of [...this.moved]) if (r === rel || r.startsWith(`${rel}/`)) this.moved.delete(r);
  }

  private itemOf(rel: string, abs: string, stat: FsStats): ShareItem {
    const uniqueId = this.moved.get(rel) ?? uniqueIdOf(rel);
    this.ids.set(uniqueId, rel);
    return { rel, abs, name: rel === '/' ? path.basename(this.sharedUrl) : path.posix.basename(rel), isDir: stat.isDirectory(), stat, uniqueId };
  }

  /** Children of a folder in the library's default order: folders first, then by name. */
  async children(rel: string): Promise<ShareItem[] | undefined> {
    const dir = await this.item(rel);
    if (!dir?.isDir) return undefined;
    const names = await fs.readdir(dir.abs);
    const out: ShareItem[] = [];
    for (const n of names) {
      const childRel = rel === '/' ? `/${n}` : `${rel}/${n}`;
      const abs = path.join(dir.abs, n);
      const stat = await fs.stat(abs).catch(() => undefined);
      if (stat && (stat.isFile() || stat.isDirectory())) out.push(this.itemOf(childRel, abs, stat));
    }
    out.sort((a, b) => (a.isDir !== b.isDir ? (a.isDir ? -1 : 1) : a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0));
    return out;
  }

  async byUniqueId(id: string): Promise<ShareItem | undefined> {
    const key = id.replace(/^\{|\}$/g, '').toUpperCase();
    const known = this.ids.get(key);
    if (known !== undefined) {
      const item = await this.item(known);
      if (item?.uniqueId === key) return item;
    }
    return this.search('/', key);
  }

  private async search(rel: string, key: string): Promise<ShareItem | undefined> {
    for (const c of (await this.children(rel)) ?? []) {
      if (c.uniqueId === key) return c;
      if (c.isDir) {
        const found = await this.search(c.rel, key);
        if (found) return found;
      }
    }
    return undefined;
  }
}
