import type { RemoteEntry } from '../types.js';

/** The file object of the Open API (docs/services/aliyundrive-open.md, "File object fields the driver reads"). */
export interface AliyundriveFile {
  drive_id: string;
  file_id: string;
  parent_file_id: string;
  name: string;
  size?: number;
  file_extension?: string;
  content_hash?: string;
  type: 'file' | 'folder';
  created_at?: string;
  updated_at?: string;
}

export interface ListAnswer {
  items: AliyundriveFile[];
  next_marker?: string;
}

export function toEntry(f: AliyundriveFile): RemoteEntry {
  const mtime = parse(f.updated_at);
  return {
    id: f.file_id,
    name: f.name,
    isDir: f.type === 'folder',
    size: f.type === 'folder' ? 0 : (f.size ?? 0),
    mtimeMs: mtime,
    birthtimeMs: parse(f.created_at) || mtime,
    hashes: f.content_hash ? { sha1: f.content_hash.toLowerCase() } : undefined,
    version: f.content_hash,
  };
}

function parse(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
