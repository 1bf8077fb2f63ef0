// Pre-authenticated download URLs (@microsoft.graph.downloadUrl) and the
// "download host" that serves them.
//
// Like the real service the URL itself is the credential: it names the item
// and an expiry, signed with a per-process HMAC key, and needs no
// Authorization header. Requests that send one anyway are served but counted
// (downloadWithAuthorization) because the real service does not want them.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeDownloadHead } from '../common/download-head.js';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { parseRange } from '../common/range.js';
import { sendFileRange } from '../common/stream.js';
import type { EmulatorContext } from './context.js';
import { GraphError, methodNotAllowed, notFound } from './errors.js';
import { mimeTypeOf } from './mime.js';

export const DOWNLOAD_PREFIX = '/_dl/';

type Verified = { ok: true; driveId: string; itemId: string } | { ok: false; reason: 'bad' | 'expired' };

export class LinkSigner {
  private readonly key = randomBytes(32);

  /** Path (under DOWNLOAD_PREFIX) of a link valid until `expiresAtMs`. */
  token(driveId: string, itemId: string, expiresAtMs: number): string {
    const body = `${b64(driveId)}.${b64(itemId)}.${expiresAtMs.toString(36)}`;
    return `${body}.${this.sign(body)}`;
  }

  verify(token: string, nowMs = Date.now()): Verified {
    const parts = token.split('.');
    if (parts.length !== 4) return { ok: false, reason: 'bad' };
    const body = parts.slice(0, 3).join('.');
    const want = Buffer.from(this.sign(body));
    const got = Buffer.from(parts[3]);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'bad' };
    const exp = parseInt(parts[2], 36);
    if (!Number.isFinite(exp) || nowMs >= exp) return { ok: false, reason: 'expired' };
    return { ok: true, driveId: unb64(parts[0]), itemId: unb64(parts[1]) };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 27);
  }
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s: string): string => Buffer.from(s, 'base64url').toString('utf8');

/** Absolute download URL for an item, valid for the configured link TTL. */
export function downloadUrl(ctx: EmulatorContext, driveId: string, itemId: string): string {
  const expiresAtMs = Date.now() + Math.round(ctx.faults.get().linkTtlSec * 1000);
  return `${ctx.url}${DOWNLOAD_PREFIX}${ctx.links.token(driveId, itemId, expiresAtMs)}`;
}

export async function handleDownload(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
  const { stats } = ctx;
  stats.inc('download');
  if (req.headers.authorization !== undefined) stats.inc('downloadWithAuthorization');
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method);

  const v = ctx.links.verify(token);
  if (!v.ok) {
    if (v.reason === 'expired') {
      stats.inc('expiredLink');
      throw new GraphError(401, 'unauthenticated', 'The download link has expired. Request the item again for a fresh link.');
    }
    stats.inc('badLink');
    throw new GraphError(401, 'unauthenticated', 'The download link is not valid.');
  }
  const drive = ctx.drivesById.get(v.driveId);
  const entry = drive ? await drive.resolveId(v.itemId) : null;
  if (!entry || entry.isDir) throw notFound();

  let fh: FileHandle;
  try {
    fh = await open(entry.abs, 'r');
  } catch {
    throw notFound();
  }
  try {
    // Size from the open descriptor, so headers match the bytes we stream
    // even if the path is replaced meanwhile.
    const size = (await fh.stat()).size;
    const range = parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      throw new GraphError(416, 'invalidRange', 'The requested range is not satisfiable.', {
        'Content-Range': `bytes */${size}`,
      });
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    const length = end - start + 1;
    writeDownloadHead(res, { name: entry.name, mtime: entry.stat.mtime, contentType: mimeTypeOf(entry.name), start, end, size, partial: range.kind === 'partial' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let cutAfterBytes: number | undefined;
    if (ctx.counters.cutDownload.hit()) {
      stats.inc('cut');
      cutAfterBytes = Math.floor(length / 2);
    }
    const result = await sendFileRange(res, fh, {
      start,
      end,
      bandwidthBytesPerSec: ctx.faults.get().bandwidthBytesPerSec,
      cutAfterBytes,
    });
    stats.inc('downloadBytes', result.bytes);
  } finally {
    await fh.close();
  }
}
