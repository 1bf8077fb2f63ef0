import type { ServerResponse } from 'node:http';

/** The status line and headers of a file download, whole (200) or ranged (206), as both services send them. */
export function writeDownloadHead(
  res: ServerResponse,
  o: { name: string; mtime: Date; contentType: string; start: number; end: number; size: number; partial: boolean },
): void {
  const headers: Record<string, string | number> = {
    'Content-Type': o.contentType,
    'Content-Length': Math.max(0, o.end - o.start + 1),
    'Accept-Ranges': 'bytes',
    'Last-Modified': o.mtime.toUTCString(),
    'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(o.name)}`,
  };
  if (o.partial) headers['Content-Range'] = `bytes ${o.start}-${o.end}/${o.size}`;
  res.writeHead(o.partial ? 206 : 200, headers);
}
