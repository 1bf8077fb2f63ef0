import { createHash } from 'node:crypto';
import type { HttpClient } from '../../http/client.js';
import { isNetworkError } from '../../http/client.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { UploadSession, UploadSource } from '../types.js';
import type { RateClass } from './pacer.js';
import { aliyundriveError, serviceCode } from './errors.js';
import type { AliyundriveFile } from './files.js';
import { ReadAhead } from '../read-ahead.js';

const MiB = 1 << 20;
/** Parts of 20 MiB (or `base`), doubled for huge files so there are at most 10,000 (docs/services/aliyundrive-open.md, "Uploads"). */
export function partSizeFor(size: number, base = 20 * MiB): number {
  let part = base;
  while (Math.ceil(size / part) > 10_000) part *= 2;
  return part;
}

/** What uploads need of an API client: the Open and the legacy clients both are one. */
export interface ApiCaller {
  call<T>(path: string, body: object | ((accessToken: string) => object | Promise<object>), cls?: RateClass): Promise<T>;
}

/** The four calls of an upload, by API (the bodies and answers are the same). */
export interface UploadEndpoints {
  create: string;
  getUploadUrl: string;
  listUploadedParts: string;
  complete: string;
}

export const OPEN_UPLOAD: UploadEndpoints = {
  create: 'openFile/create',
  getUploadUrl: 'openFile/getUploadUrl',
  listUploadedParts: 'openFile/listUploadedParts',
  complete: 'openFile/complete',
};

export const LEGACY_UPLOAD: UploadEndpoints = {
  create: '/adrive/v2/file/createWithFolders',
  getUploadUrl: '/v2/file/get_upload_url',
  listUploadedParts: '/v2/file/list_uploaded_parts',
  complete: '/v2/file/complete',
};

interface Deps {
  api: ApiCaller;
  http: HttpClient;
  log: Logger;
  ep: UploadEndpoints;
}

const MAX_FRUITLESS = 6;

interface PartInfo {
  part_number: number;
  upload_url?: string;
}

interface CreateAnswer {
  file_id: string;
  upload_id?: string;
  rapid_upload?: boolean;
  part_info_list?: PartInfo[];
}

export interface UploadTarget {
  driveId: string;
  parentId: string;
  name: string;
  /** For log lines and errors. */
  shown: string;
  checkNameMode: 'ignore' | 'refuse';
}

/**
 * One file through create → part PUTs → complete, with rapid upload when enabled: the pre-hash
 * first, then on `PreHashMatched` the whole-file SHA-1 and the proof derived from the access token,
 * so a file the drive already holds is committed without sending its bytes.
 */
export async function uploadFile(
  given: { api: ApiCaller; http: HttpClient; log: Logger },
  t: UploadTarget,
  src: UploadSource,
  opts: { rapid: boolean; endpoints?: UploadEndpoints; basePartSize?: number; resume?: UploadSession; onSession?: (s: UploadSession) => void },
): Promise<AliyundriveFile> {
  const deps: Deps = { ...given, ep: opts.endpoints ?? OPEN_UPLOAD };
  const resume = opts.resume?.kind === 'aliyundrive' ? opts.resume : undefined;
  const partSize = resume?.partSize ?? partSizeFor(src.size, opts.basePartSize);
  const count = src.size === 0 ? 0 : Math.ceil(src.size / partSize);
  const tell = (c: CreateAnswer, partsDone: number) => {
    if (c.upload_id) opts.onSession?.({ kind: 'aliyundrive', fileId: c.file_id, uploadId: c.upload_id, partSize, partsDone });
  };
  if (resume && count > 0) {
    const c: CreateAnswer = { file_id: resume.fileId, upload_id: resume.uploadId, part_info_list: [] };
    let done: number | undefined;
    try {
      done = await partsOnService(deps, t, c);
    } catch (e) {
      if (serviceCode(e) !== 'NotFound.UploadId' && serviceCode(e) !== 'NotFound.FileId') throw aliyundriveError(e, `upload ${t.shown}`);
      deps.log.info({ path: t.shown }, 'the earlier upload is gone from the service; starting a new one');
    }
    if (done !== undefined) {
      deps.log.info({ path: t.shown, offset: Math.min(done * partSize, src.size) }, 'resuming the upload where the service stands');
      try {
        const ours = await putParts({ deps, t, c, src, partSize, count, from: done + 1, partDone: (n) => tell(c, n) });
        return await complete(deps, t, c, ours);
      } catch (e) {
        throw aliyundriveError(e, `upload ${t.shown}`);
      }
    }
  }
  const parts = Array.from({ length: count }, (_, i) => ({ part_number: i + 1 }));
  const base = { drive_id: t.driveId, parent_file_id: t.parentId, name: t.name, type: 'file', check_name_mode: t.checkNameMode, size: src.size, part_info_list: parts };
  const what = `upload ${t.shown}`;
  try {
    let created: CreateAnswer;
    let sha1: string | undefined;
    if (opts.rapid && src.size > 0) {
      const head = await src.read(0, Math.min(1024, src.size));
      try {
        created = await deps.api.call<CreateAnswer>(deps.ep.create, { ...base, pre_hash: sha1hex(head) });
      } catch (e) {
        if (serviceCode(e) !== 'PreHashMatched') throw e;
        // The drive may hold these bytes already: prove we have them too.
        sha1 = await wholeSha1(src);
        const contentHash = sha1;
        try {
          created = await deps.api.call<CreateAnswer>(deps.ep.create, async (token) => ({
            ...base,
            content_hash_name: 'sha1',
            content_hash: contentHash,
            proof_version: 'v1',
            proof_code: await proofCode(token, src),
          }));
        } catch (e2) {
          // A refused proof (say, the token changed under us) costs the shortcut, not the file.
          if (!serviceCode(e2)?.startsWith('InvalidParameter')) throw e2;
          deps.log.debug({ path: t.shown, code: serviceCode(e2) }, 'rapid upload refused; sending the bytes');
          created = await deps.api.call<CreateAnswer>(deps.ep.create, base);
        }
      }
      if (created.rapid_upload) {
        deps.log.debug({ path: t.shown, bytes: src.size }, 'rapid upload: the drive had the content');
        const file = await complete(deps, t, created, sha1);
        src.progress?.(src.size);
        return file;
      }
    } else {
      created = await deps.api.call<CreateAnswer>(deps.ep.create, base);
    }
    tell(created, 0);
    const c = created;
    const ours = await putParts({ deps, t, c, src, partSize, count, from: 1, partDone: (n) => tell(c, n) });
    return await complete(deps, t, created, ours);
  } catch (e) {
    throw aliyundriveError(e, what);
  }
}

async function complete(deps: Deps, t: UploadTarget, c: CreateAnswer, sha1: string | undefined): Promise<AliyundriveFile> {
  const file = await deps.api.call<AliyundriveFile>(deps.ep.complete, { drive_id: t.driveId, file_id: c.file_id, upload_id: c.upload_id });
  if (sha1 && file.content_hash && file.content_hash.toLowerCase() !== sha1) {
    throw new DriveError('EIO', `${t.shown}: the service's checksum (${file.content_hash}) differs from the bytes written (${sha1})`);
  }
  return file;
}

/** One upload's parts to send: parts `from`..`count` of `partSize` bytes each. */
interface PartsRun {
  deps: Deps;
  t: UploadTarget;
  c: CreateAnswer;
  src: UploadSource;
  partSize: number;
  count: number;
  from: number;
  partDone: (n: number) => void;
}

/** PUT every part in order; returns the SHA-1 of everything sent. */
async function putParts(run: PartsRun): Promise<string> {
  const { t, c, src, partSize } = run;
  const urls = new Map((c.part_info_list ?? []).map((p) => [p.part_number, p.upload_url]));
  const hash = createHash('sha1');
  let hashed = 0; // a prefix of the file
  // The next part is read and hashed while the current one is sent (two parts in memory).
  const pieces = new ReadAhead(src, partSize, (b, at) => {
    if (at <= hashed && at + b.length > hashed) {
      hash.update(at === hashed ? b : b.subarray(hashed - at));
      hashed = at + b.length;
    }
  });
  try {
    return await sendParts(run, urls, pieces, () => {
      if (hashed !== src.size) throw new DriveError('EIO', `${t.shown}: ${hashed} of ${src.size} bytes were read for the checksum`);
      return hash.digest('hex');
    });
  } finally {
    await pieces.settle();
  }
}

async function sendParts(
  { deps, t, c, src, partSize, count, from, partDone }: PartsRun,
  urls: Map<number, string | undefined>,
  pieces: ReadAhead,
  digest: () => string,
): Promise<string> {
  // Parts the service holds already (a resumed upload) are hashed from the local copy, not sent.
  const held = Math.min((from - 1) * partSize, src.size);
  for (let pos = 0; pos < held; ) {
    const b = await pieces.read(pos, Math.min(partSize, held - pos));
    if (b.length === 0) break;
    pos += b.length;
  }
  if (from > 1) src.progress?.(held);
  for (let n = from; n <= count; ) {
    const offset = (n - 1) * partSize;
    const body = await pieces.read(offset, Math.min(partSize, src.size - offset));
    let fruitless = 0;
    let refreshed = 0;
    for (;;) {
      let url = urls.get(n);
      if (!url) url = await refreshUrls(deps, t, c, n, count, urls);
      let status: number | undefined;
      try {
        // No Authorization and no Content-Type: the part URL is signed for exactly this request.
        const res = await deps.http.request({ method: 'PUT', url, preauthenticated: true, body, acceptStatus: [403, 409, 500, 502, 503, 504] });
        status = res.status;
        await res.body.dump();
      } catch (e) {
        if (!isNetworkError(e)) throw e;
      }
      if (status !== undefined && status < 300) break;
      if (status === 409) break; // the service has this part already (an earlier try got through)
      if (status === 403) {
        // Expired: ask for fresh URLs — but a URL refused right after refreshing means something else.
        if (++refreshed > 3) throw new DriveError('EIO', `${t.shown}: part ${n}: the storage keeps refusing fresh upload URLs`);
        urls.delete(n);
        continue;
      }
      if (++fruitless >= MAX_FRUITLESS) throw new DriveError('EIO', `${t.shown}: part ${n} failed ${fruitless} times`);
      deps.log.debug({ path: t.shown, part: n, status }, 'part failed, checking what arrived');
      if (await partArrived(deps, t, c, n)) break;
    }
    src.progress?.(offset + body.length);
    partDone(n);
    n++;
  }
  return digest();
}

async function refreshUrls(deps: Deps, t: UploadTarget, c: CreateAnswer, from: number, count: number, urls: Map<number, string | undefined>): Promise<string> {
  const wanted = Array.from({ length: count - from + 1 }, (_, i) => ({ part_number: from + i }));
  const a = await deps.api.call<{ part_info_list?: PartInfo[] }>(deps.ep.getUploadUrl, { drive_id: t.driveId, file_id: c.file_id, upload_id: c.upload_id, part_info_list: wanted });
  for (const p of a.part_info_list ?? []) urls.set(p.part_number, p.upload_url);
  const url = urls.get(from);
  if (!url) throw new DriveError('EIO', `${t.shown}: the service gave no upload URL for part ${from}`);
  return url;
}

/** How many parts, from 1 on without a gap, the service holds of an upload (pages of the answer followed). */
async function partsOnService(deps: Deps, t: UploadTarget, c: CreateAnswer): Promise<number> {
  const have = new Set<number>();
  let marker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const a = await deps.api.call<{ uploaded_parts?: { part_number: number }[]; next_part_number_marker?: string }>(deps.ep.listUploadedParts, {
      drive_id: t.driveId, file_id: c.file_id, upload_id: c.upload_id, ...(marker ? { part_number_marker: marker } : {}),
    });
    for (const p of a.uploaded_parts ?? []) have.add(p.part_number);
    marker = a.next_part_number_marker || undefined;
    if (!marker) break;
  }
  let n = 0;
  while (have.has(n + 1)) n++;
  return n;
}

async function partArrived(deps: Deps, t: UploadTarget, c: CreateAnswer, n: number): Promise<boolean> {
  const a = await deps.api.call<{ uploaded_parts?: { part_number: number }[] }>(deps.ep.listUploadedParts, { drive_id: t.driveId, file_id: c.file_id, upload_id: c.upload_id });
  return (a.uploaded_parts ?? []).some((p) => p.part_number === n);
}

function sha1hex(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

async function wholeSha1(src: UploadSource): Promise<string> {
  const h = createHash('sha1');
  const buf = Buffer.allocUnsafe(Math.min(8 * MiB, src.size));
  for (let pos = 0; pos < src.size; ) {
    const b = await src.read(pos, Math.min(buf.length, src.size - pos), buf);
    if (b.length === 0) break;
    h.update(b);
    pos += b.length;
  }
  return h.digest('hex');
}

/** The rapid-upload proof (docs/services/aliyundrive-open.md, "Rapid upload"): 8 bytes of the file chosen by the access token. */
export async function proofCode(accessToken: string, src: UploadSource): Promise<string> {
  const md5 = createHash('md5').update(accessToken).digest('hex');
  const r = BigInt('0x' + md5.slice(0, 16));
  const start = Number(r % BigInt(src.size));
  const end = Math.min(start + 8, src.size);
  return (await src.read(start, end - start)).toString('base64');
}
