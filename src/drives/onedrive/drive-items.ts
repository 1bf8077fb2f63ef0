import type { RemoteEntry } from '../types.js';

/** The driveItem fields drivemount reads (docs/services/onedrive.md, "driveItem fields the driver reads"). */
export interface DriveItem {
  id: string;
  name: string;
  size?: number;
  eTag?: string;
  lastModifiedDateTime?: string;
  createdDateTime?: string;
  fileSystemInfo?: { createdDateTime?: string; lastModifiedDateTime?: string };
  folder?: { childCount?: number };
  file?: { mimeType?: string; hashes?: { quickXorHash?: string; sha1Hash?: string; sha256Hash?: string } };
  root?: object;
  '@microsoft.graph.downloadUrl'?: string;
}

export interface ChildrenPage {
  value: DriveItem[];
  '@odata.nextLink'?: string;
}

/**
 * How long a listed download link is trusted. Graph says links live "about an hour" but does not
 * say when one was minted; a shorter trust costs one call, an expired link costs a 401 and a retry.
 */
export const LINK_TRUST_MS = 45 * 60_000;

export function toRemoteEntry(item: DriveItem, now = Date.now()): RemoteEntry {
  const mtime = parseTime(item.fileSystemInfo?.lastModifiedDateTime ?? item.lastModifiedDateTime);
  const birth = parseTime(item.fileSystemInfo?.createdDateTime ?? item.createdDateTime) || mtime;
  const hashes = item.file?.hashes;
  const url = item['@microsoft.graph.downloadUrl'];
  return {
    id: item.id,
    name: item.name,
    isDir: item.folder !== undefined || item.root !== undefined,
    size: item.size ?? 0,
    mtimeMs: mtime,
    birthtimeMs: birth,
    hashes: hashes ? { quickXor: hashes.quickXorHash, sha1: hashes.sha1Hash, sha256: hashes.sha256Hash } : undefined,
    link: url ? { url, expiresAt: now + LINK_TRUST_MS } : undefined,
    version: item.eTag,
  };
}

function parseTime(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Graph's path addressing: `/root` for the root, else `/root:/a/b:` with every segment
 * percent-encoded (names may hold #, %, ? and spaces).
 */
export function itemPath(drivePath: string): string {
  const segs = drivePath.split('/').filter(Boolean);
  if (segs.length === 0) return '/root';
  return `/root:/${segs.map(encodeURIComponent).join('/')}:`;
}
