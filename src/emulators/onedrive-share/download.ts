// download.aspx?UniqueId=…: the file's bytes for a valid cookie, with Range; the sign-in page
// (HTML, status 200) for an expired or missing one, as a browser would be shown.

import { open, type FileHandle } from 'node:fs/promises';
import { writeDownloadHead } from '../common/download-head.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EveryN, NumericSettings } from '../common/faults.js';
import { parseRange } from '../common/range.js';
import type { Stats } from '../common/stats.js';
import { sendFileRange } from '../common/stream.js';
import type { CookieJarServer } from './cookies.js';
import type { ShareTree } from './items.js';
import { sendHtml, sendSignInPage } from './pages.js';
import type { ShareFaults } from './settings.js';

export interface DownloadDeps {
  tree: ShareTree;
  cookies: CookieJarServer;
  stats: Stats;
  faults: NumericSettings<ShareFaults>;
  cutDownload: EveryN;
}

export async function handleDownload(d: DownloadDeps, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  d.stats.inc('download');
  const verdict = d.cookies.check(req);
  if (verdict !== 'valid') {
    d.stats.inc(verdict === 'expired' ? 'expiredCookie' : 'noCookie');
    d.stats.inc('downloadSignInPage');
    return sendSignInPage(res);
  }
  const id = query.get('UniqueId');
  const item = id ? await d.tree.byUniqueId(id) : undefined;
  if (!item || item.isDir) return sendHtml(res, 404, 'Error', '<p>404 FILE NOT FOUND</p>');
  let fh: FileHandle;
  try {
    fh = await open(item.abs, 'r');
  } catch {
    return sendHtml(res, 404, 'Error', '<p>404 FILE NOT FOUND</p>');
  }
  try {
    const size = (await fh.stat()).size;
    const range = parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    const length = Math.max(0, end - start + 1);
    writeDownloadHead(res, { name: item.name, mtime: item.stat.mtime, contentType: 'application/octet-stream', start, end, size, partial: range.kind === 'partial' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let cutAfterBytes: number | undefined;
    if (d.cutDownload.hit()) {
      d.stats.inc('cut');
      cutAfterBytes = Math.floor(length / 2);
    }
    const result = await sendFileRange(res, fh, { start, end, bandwidthBytesPerSec: d.faults.get().bandwidthBytesPerSec, cutAfterBytes });
    d.stats.inc('downloadBytes', result.bytes);
  } finally {
    await fh.close();
  }
}
