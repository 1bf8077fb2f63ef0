// openFile/getDownloadUrl and the storage host that serves those URLs.
//
// - expire_sec defaults to 900 and is capped at maxLinkTtlSec (14400);
//   the answer is {drive_id, file_id, url, expiration, method: "GET"}.
// - A live photo (.livp) has no `url`: the answer carries
//   streamsUrl: {jpeg, mov}, one pre-signed URL per part, same expiry rules.
//   A stream's size is learned from the stream URL itself with
//   `Range: bytes=0-0` → 206 with `Content-Range: bytes 0-0/<size>` (a HEAD
//   is refused like on OSS, because the URL is signed for GET).
// - The URLs need no Authorization header (requests that send one are
//   served, and counted as downloadWithAuthorization).
// - Storage-host failures are OSS XML: expired → 403 AccessDenied "Request
//   has expired."; tampered/other method → 403 SignatureDoesNotMatch; gone →
//   404 NoSuchKey; bad Range → 416 InvalidRange. The per-user concurrency
//   limit (a 4th download in flight) → 403 JSON {code: "ExceedMaxConcurrency"}.
// - An account over capacity gets 403 ExceedCapacityForbidden from
//   getDownloadUrl (listing still works).

import { type FileHandle, open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { parseRange } from '../common/range.js';
import { sendFileRange } from '../common/stream.js';
import { mimeTypeOf } from '../onedrive/mime.js';
import type { AliContext, ApiCall } from './context.js';
import { AliError, fileNotFound, inRecycleBin, invalidParam, OssError } from './errors.js';
import { isoTime } from './files.js';
import { driveOf, optInt, reqString } from './params.js';
import { expiryIn } from './signer.js';
import type { Item } from './store.js';

export const DOWNLOAD_PREFIX = '/_oss/dl/';
const DEFAULT_EXPIRE_SEC = 900;

type Stream = 'data' | 'jpeg' | 'mov';

/** Legacy-API links live below this: the storage host wants the app's Referer on them. */
const REFERER_PATH = 'ref/';
/** The one Referer the bucket policy lets through on legacy links. */
export const LEGACY_REFERER = 'https://www.alipan.com/';

function streamUrl(ctx: AliContext, driveId: string, fileId: string, stream: Stream, expiresSec: number, sub = ''): string {
  return ctx.url + ctx.signer.sign('GET', `${DOWNLOAD_PREFIX}${sub}${driveId}/${fileId}/${stream}`, expiresSec);
}

/** POST openFile/getDownloadUrl */
export function getDownloadUrl(call: ApiCall): Promise<unknown> {
  return downloadUrl(call, '');
}

/** POST /v2/file/get_download_url (legacy API): the same answer (plus size), a link that needs the Referer. */
export async function legacyDownloadUrl(call: ApiCall): Promise<unknown> {
  const a = (await downloadUrl(call, REFERER_PATH)) as Record<string, unknown>;
  const drive = driveOf(call);
  const it = await drive.resolveId(reqString(call, 'file_id'));
  return { ...a, size: it?.size ?? 0 };
}

async function downloadUrl(call: ApiCall, sub: string): Promise<unknown> {
  const { ctx } = call;
  if (ctx.faults.get().accountState === 'overCapacity') {
    ctx.stats.inc('exceedCapacity');
    throw new AliError(403, 'ExceedCapacityForbidden', 'Execeed Capactity Forbidden');
  }
  const drive = driveOf(call);
  const fileId = reqString(call, 'file_id');
  const ttl = Math.min(optInt(call, 'expire_sec', 1) ?? DEFAULT_EXPIRE_SEC, ctx.faults.get().maxLinkTtlSec);
  const it = await drive.resolveId(fileId);
  if (!it) throw (await drive.trashedItem(fileId)) ? inRecycleBin() : fileNotFound();
  if (it.kind === 'folder') throw invalidParam('file_id', 'a folder has no download url');
  const expires = expiryIn(ttl);
  const common = { drive_id: drive.driveId, file_id: it.id, expiration: isoTime(expires * 1000), method: 'GET' };
  if (it.kind === 'livp') {
    return {
      ...common,
      streamsUrl: {
        jpeg: streamUrl(ctx, drive.driveId, it.id, 'jpeg', expires, sub),
        mov: streamUrl(ctx, drive.driveId, it.id, 'mov', expires, sub),
      },
    };
  }
  return { ...common, url: streamUrl(ctx, drive.driveId, it.id, 'data', expires, sub) };
}

/** The bytes behind a stream of an item (live or in the recycle bin), or null. */
function streamFile(it: Item, stream: Stream): { abs: string; name: string } | null {
  if (stream === 'data') return it.kind === 'file' ? { abs: it.abs, name: it.name } : null;
  if (it.kind !== 'livp' || !it.livp) return null;
  return it.livp[stream];
}

/** GET on a download URL (`rest` is the path after DOWNLOAD_PREFIX). */
export async function handleDownload(ctx: AliContext, req: IncomingMessage, res: ServerResponse, rawPath: string, query: URLSearchParams): Promise<void> {
  const { stats } = ctx;
  stats.inc('download');
  if (req.headers.authorization !== undefined) stats.inc('downloadWithAuthorization');
  try {
    ctx.signer.verify(req, rawPath, query);
  } catch (e) {
    if (e instanceof OssError) stats.inc(e.message === 'Request has expired.' ? 'expiredLink' : 'badLink');
    throw e;
  }
  let rest = rawPath.slice(DOWNLOAD_PREFIX.length);
  if (rest.startsWith(REFERER_PATH)) {
    // The bucket's referer policy (strict: exactly the app's Referer, nothing else).
    if (req.headers.referer !== LEGACY_REFERER) {
      stats.inc('refererRefused');
      throw new OssError(403, 'AccessDenied', 'You are denied by bucket referer policy.');
    }
    rest = rest.slice(REFERER_PATH.length);
  }
  const [driveId, fileId, stream] = rest.split('/');
  const drive = ctx.drivesById.get(driveId);
  const it = drive ? ((await drive.resolveId(fileId)) ?? (await drive.trashedItem(fileId))) : null;
  const target = it ? streamFile(it, stream as Stream) : null;
  if (!target) throw new OssError(404, 'NoSuchKey', 'The specified key does not exist.');

  const max = ctx.faults.get().maxConcurrentDownloads;
  if (max > 0 && ctx.downloadsInFlight.n >= max) {
    stats.inc('concurrencyRefused');
    throw new AliError(403, 'ExceedMaxConcurrency', `Exceed max concurrency: at most ${max} downloads at a time.`);
  }

  let fh: FileHandle;
  try {
    fh = await open(target.abs, 'r');
  } catch {
    throw new OssError(404, 'NoSuchKey', 'The specified key does not exist.');
  }
  ctx.downloadsInFlight.n++;
  let released = false;
  const release = (): void => {
    if (!released) {
      released = true;
      ctx.downloadsInFlight.n--;
    }
  };
  res.once('close', release);
  // A client that gave up while the file was being opened has closed already: 'close' will not
  // come again, so count it out now (else the per-user count leaks and refuses everyone).
  if (res.destroyed || res.closed || req.socket.destroyed) release();
  try {
    // Size from the open descriptor so headers match the bytes we stream.
    const st = await fh.stat();
    const size = st.size;
    const range = parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      throw new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied.', {}, { 'Content-Range': `bytes */${size}` });
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : size - 1;
    const length = end - start + 1;
    const headers: Record<string, string | number> = {
      'Content-Type': mimeTypeOf(target.name),
      'Content-Length': length,
      'Accept-Ranges': 'bytes',
      'Last-Modified': st.mtime.toUTCString(),
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(target.name)}`,
    };
    if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
    let cutAfterBytes: number | undefined;
    if (length > 0 && ctx.counters.cutDownload.hit()) {
      stats.inc('cut');
      cutAfterBytes = Math.floor(length / 2);
    }
    const result = await sendFileRange(res, fh, { start, end, bandwidthBytesPerSec: ctx.faults.get().bandwidthBytesPerSec, cutAfterBytes });
    stats.inc('downloadBytes', result.bytes);
  } finally {
    await fh.close();
    if (!res.headersSent) release();
  }
}
