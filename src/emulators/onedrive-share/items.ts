// The shared folder on disk and the ids SharePoint gives its items: a UniqueId per item, bound
// to the item rather than its path (it survives renames and moves; a new item at an old path
// gets a new one; a file whose content is replaced keeps its own), and the server-relative URLs
// the listing and download calls use.

import { createHash } from 'node:crypto';
import { promises as fs, type Stats as FsStats } from 'node:fs';
import path from 'node:path';
import { DriveStore } from '../onedrive/store.js';

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

/** The item's UniqueId from its file identity (inode and birth time, as the Graph emulator's ids). */
export function uniqueIdOf(stat: FsStats): string {
  const h = createHash('sha1').update(`share-item:${DriveStore.fileKey(stat)}`).digest('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class ShareTree {
  /** UniqueId → rel, learnt as items are listed (downloads of unlisted ids search the tree). */
  private readonly ids = new Map<string, string>();
  /** file key → UniqueId, for files whose content was replaced (a new inode, the same item). */
  private readonly kept = new Map<string, string>();

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

  /** The file now at `rel` replaced the content of the item `uniqueId`: it stays that item. */
  async keep(rel: string, uniqueId: string): Promise<void> {
    const stat = await fs.stat(path.join(this.root, ...rel.split('/').filter(Boolean)));
    this.kept.set(DriveStore.fileKey(stat), uniqueId);
  }

  private itemOf(rel: string, abs: string, stat: FsStats): ShareItem {
    const uniqueId = this.kept.get(DriveStore.fileKey(stat)) ?? uniqueIdOf(stat);
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
