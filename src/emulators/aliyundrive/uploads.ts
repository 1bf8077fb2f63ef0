// The upload flow: openFile/create (type "file"), part PUTs to pre-signed
// URLs, openFile/getUploadUrl, openFile/listUploadedParts, openFile/complete.
// Rapid upload is decided in create (see rapid.ts).
//
// Rules, enforced because a client that breaks them fails against the real
// service (the part host is OSS in "sequential" multipart mode):
// - parts are PUT in order 1, 2, 3…, raw bytes, no Authorization and no
//   Content-Type (the latter breaks the URL signature: 403); a part out of
//   order → 400 PartNotSequential; a part already stored → 409
//   PartAlreadyExist (OSS XML bodies); a part over 5 GB → 400 EntityTooLarge;
// - part URLs expire after partUrlTtlSec → 403 AccessDenied "Request has
//   expired."; getUploadUrl hands out fresh ones for the same upload_id;
// - every part but the last must be ≥ 100 KB: checked at complete (as OSS
//   does, it cannot know earlier which part is last) → 400 EntityTooSmall;
// - complete checks the declared size (400 InvalidParameter.Size) and a
//   declared content_hash (400 InvalidParameter.ContentHash);
// - bytes are staged outside the backing folder; the file appears, with the
//   file_id create returned, only when complete succeeds.

import { createHash, type Hash, randomBytes } from 'node:crypto';
import { copyFile, type FileHandle, open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { discardBody } from '../common/http.js';
import type { AliContext, ApiCall } from './context.js';
import { AliError, alreadyExists, invalidParam, missingParam, OssError, uploadNotFound } from './errors.js';
import { fileJson, requireFolder } from './files.js';
import { checkName, checkNameMode, type CheckNameMode, driveOf, optInt, optString, reqString } from './params.js';
import { commitStaged, place } from './place.js';
import { ensureQuota } from './quota.js';
import { findByContentHash, preHashKnown, proofOf } from './rapid.js';
import { MAX_PART_BYTES, MAX_PART_NUMBER, MIN_PART_BYTES } from './settings.js';
import { expiryIn } from './signer.js';
import { type AliDrive, lstatOrNull } from './store.js';

export const UPLOAD_PREFIX = '/_oss/up/';
const HEX40 = /^[0-9a-fA-F]{40}$/;

interface Part {
  part_number: number;
  size: number;
  etag: string;
}

interface Session {
  uploadId: string;
  fileId: string;
  drive: AliDrive;
  parentId: string;
  name: string;
  mode: CheckNameMode;
  declaredSize?: number;
  contentHash?: string;
  staged: string;
  fh: FileHandle | null;
  parts: Part[];
  received: number;
  sha1: Hash;
  busy: boolean;
  /** Set for a rapid upload: already committed, complete just confirms. */
  rapid: boolean;
  createdAt: number;
}

function partNumbers(call: ApiCall, fallback: number[]): number[] {
  const v = call.body.part_info_list;
  if (v === undefined || v === null) return fallback;
  if (!Array.isArray(v)) throw invalidParam('part_info_list');
  const nums = v.map((p) => (p && typeof p === 'object' ? (p as Record<string, unknown>).part_number : undefined));
  if (!nums.every((n): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_PART_NUMBER)) {
    throw invalidParam('part_info_list', `part_number must be 1..${MAX_PART_NUMBER}`);
  }
  if (new Set(nums).size !== nums.length) throw invalidParam('part_info_list', 'duplicate part_number');
  return nums;
}

export class UploadManager {
  private readonly sessions = new Map<string, Session>();

  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly ctx: AliContext) {
    // Expired uploads are dropped for good (raising the ttl later does not bring them back).
    this.sweeper = setInterval(() => void this.sweep(), 500);
    this.sweeper.unref();
  }

  private async sweep(): Promise<void> {
    for (const s of [...this.sessions.values()]) if (!s.rapid && this.expired(s)) await this.drop(s);
  }

  private partUrl(s: Session, n: number): string {
    const expires = expiryIn(this.ctx.faults.get().partUrlTtlSec);
    return this.ctx.url + this.ctx.signer.sign('PUT', `${UPLOAD_PREFIX}${s.uploadId}/${n}`, expires, `partNumber=${n}&uploadId=${s.uploadId}`);
  }

  private partList(s: Session, nums: number[]): Array<Record<string, unknown>> {
    return nums.map((n) => ({ part_number: n, upload_url: this.partUrl(s, n), content_type: '' }));
  }

  /** openFile/create with type "file". */
  async create(call: ApiCall): Promise<unknown> {
    const { ctx } = call;
    const drive = driveOf(call);
    const parent = await requireFolder(drive, reqString(call, 'parent_file_id'));
    let name = reqString(call, 'name');
    checkName(name);
    const mode = checkNameMode(call, 'ignore');
    const size = optInt(call, 'size', 0);
    const nums = partNumbers(call, [1]);
    const preHash = optString(call, 'pre_hash');
    const hashName = optString(call, 'content_hash_name');
    const contentHash = hashName === 'sha1' ? optString(call, 'content_hash') : undefined;
    if (hashName !== undefined && hashName !== 'sha1' && hashName !== 'none') throw invalidParam('content_hash_name');
    if (preHash !== undefined && preHash !== '' && !HEX40.test(preHash)) throw invalidParam('pre_hash');
    if (contentHash !== undefined && !HEX40.test(contentHash)) throw invalidParam('content_hash');

    // The name is settled now (auto_rename picks the new one, refuse fails early).
    const p = await place(drive, parent, name, mode, false);
    if (p.exist) throw alreadyExists(name);
    name = p.name;

    if (contentHash !== undefined) {
      if (size === undefined) throw missingParam('size');
      const match = await findByContentHash(ctx, size, contentHash);
      if (match) return this.rapid(call, drive, parent.id, name, mode, size, match.abs);
    } else if (preHash && size !== undefined && (await preHashKnown(ctx, size, preHash))) {
      ctx.stats.inc('preHashMatched');
      throw new AliError(409, 'PreHashMatched', 'Pre hash matched.', {}, { parent_file_id: parent.id, file_name: name, pre_hash: preHash });
    }
    if (size !== undefined) await ensureQuota(ctx, size);

    const staged = await drive.staging.newPath();
    await (await open(staged, 'w')).close();
    const st = await lstatOrNull(staged);
    if (!st) throw new Error('staged upload file vanished');
    const s: Session = {
      uploadId: randomBytes(16).toString('hex').toUpperCase(),
      fileId: drive.idFor(st),
      drive,
      parentId: parent.id,
      name,
      mode,
      declaredSize: size,
      contentHash: contentHash?.toUpperCase(),
      staged,
      fh: null,
      parts: [],
      received: 0,
      sha1: createHash('sha1'),
      busy: false,
      rapid: false,
      createdAt: Date.now(),
    };
    this.sessions.set(s.uploadId, s);
    return {
      drive_id: drive.driveId,
      parent_file_id: parent.id,
      file_id: s.fileId,
      file_name: name,
      type: 'file',
      status: 'uploading',
      upload_id: s.uploadId,
      exist: false,
      rapid_upload: false,
      part_info_list: this.partList(s, nums),
    };
  }

  /** A known content hash: check the proof, then commit a copy of the bytes at once. */
  private async rapid(call: ApiCall, drive: AliDrive, parentId: string, name: string, mode: CheckNameMode, size: number, source: string): Promise<unknown> {
    const { ctx } = call;
    const version = optString(call, 'proof_version');
    if (version !== 'v1') throw invalidParam('proof_version', "only 'v1' is supported");
    const proof = optString(call, 'proof_code') ?? '';
    if (proof !== (await proofOf(source, size, call.accessToken))) {
      ctx.stats.inc('proofRejected');
      throw invalidParam('proof_code', 'the proof does not match the content');
    }
    await ensureQuota(ctx, size);
    const staged = await drive.staging.newPath();
    try {
      await copyFile(source, staged);
      const it = await commitStaged(ctx, drive, parentId, name, mode, staged);
      ctx.stats.inc('rapidUpload');
      const s: Session = {
        uploadId: randomBytes(16).toString('hex').toUpperCase(),
        fileId: it.id,
        drive,
        parentId,
        name: it.name,
        mode,
        declaredSize: size,
        staged: '',
        fh: null,
        parts: [],
        received: size,
        sha1: createHash('sha1'),
        busy: false,
        rapid: true,
        createdAt: Date.now(),
      };
      this.sessions.set(s.uploadId, s);
      return { drive_id: drive.driveId, parent_file_id: parentId, file_id: it.id, file_name: it.name, type: 'file', status: 'available', upload_id: s.uploadId, exist: false, rapid_upload: true, part_info_list: [] };
    } finally {
      await rm(staged, { force: true }).catch(() => undefined);
    }
  }

  private session(call: ApiCall): Session {
    const drive = driveOf(call);
    const fileId = reqString(call, 'file_id');
    const s = this.sessions.get(reqString(call, 'upload_id'));
    if (!s || s.drive !== drive || s.fileId !== fileId || this.expired(s)) throw uploadNotFound();
    return s;
  }

  /** An upload older than uploadTtlSec is gone, like an abandoned one on the service. */
  private expired(s: Session): boolean {
    return !s.busy && Date.now() - s.createdAt >= this.ctx.faults.get().uploadTtlSec * 1000;
  }

  /** openFile/getUploadUrl — fresh part URLs for an upload in progress. */
  async getUploadUrl(call: ApiCall): Promise<unknown> {
    const s = this.session(call);
    const nums = partNumbers(call, [1]);
    return { drive_id: s.drive.driveId, file_id: s.fileId, upload_id: s.uploadId, created_at: new Date(s.createdAt).toISOString(), part_info_list: this.partList(s, nums) };
  }

  /** openFile/listUploadedParts (`part_size` is the service's field; `size` the same value). */
  async listUploadedParts(call: ApiCall): Promise<unknown> {
    const s = this.session(call);
    const marker = call.body.part_number_marker;
    const after = typeof marker === 'number' || typeof marker === 'string' ? Number(marker) || 0 : 0;
    const parts = s.parts.filter((p) => p.part_number > after).map((p) => ({ part_number: p.part_number, part_size: p.size, size: p.size, etag: p.etag }));
    return { drive_id: s.drive.driveId, file_id: s.fileId, upload_id: s.uploadId, parallelUpload: false, uploaded_parts: parts, next_part_number_marker: '' };
  }

  /** openFile/complete */
  async complete(call: ApiCall): Promise<unknown> {
    const { ctx } = call;
    const s = this.session(call);
    if (s.rapid) {
      this.sessions.delete(s.uploadId);
      const it = await s.drive.resolveId(s.fileId);
      if (!it) throw uploadNotFound();
      return fileJson(ctx, s.drive, it);
    }
    if (s.busy) throw new AliError(409, 'StateConflict', 'User operation is not valid. A part is still being uploaded.');
    if (s.declaredSize !== undefined && s.received !== s.declaredSize) {
      throw invalidParam('size', `declared ${s.declaredSize} bytes but ${s.received} were uploaded`);
    }
    const small = s.parts.slice(0, -1).find((p) => p.size < MIN_PART_BYTES);
    if (small) {
      throw new AliError(400, 'EntityTooSmall', `Your proposed upload is smaller than the minimum allowed size: part ${small.part_number} has ${small.size} bytes (minimum ${MIN_PART_BYTES} except the last part).`);
    }
    const hash = s.sha1.copy().digest('hex').toUpperCase();
    if (s.contentHash !== undefined && s.contentHash !== hash) {
      throw invalidParam('content_hash', `declared ${s.contentHash}, uploaded bytes hash to ${hash}`);
    }
    await ensureQuota(ctx, s.received);
    await s.fh?.close();
    s.fh = null;
    try {
      const it = await commitStaged(ctx, s.drive, s.parentId, s.name, s.mode, s.staged, s.fileId);
      ctx.hashes.prime(it.stat, hash);
      this.sessions.delete(s.uploadId);
      return fileJson(ctx, s.drive, it);
    } catch (e) {
      // A name conflict is final: the upload is abandoned, like on the service.
      if (e instanceof AliError && e.code === 'AlreadyExist.File') await this.drop(s);
      throw e;
    }
  }

  /** PUT on a part URL (`rawPath` starts with UPLOAD_PREFIX). */
  async handlePart(req: IncomingMessage, res: ServerResponse, rawPath: string, query: URLSearchParams): Promise<void> {
    const { stats } = this.ctx;
    stats.inc('uploadPart');
    if (req.headers.authorization !== undefined) stats.inc('uploadWithAuthorization');
    if (req.headers['content-type']) stats.inc('uploadWithContentType');
    try {
      await this.part(req, res, rawPath, query);
    } catch (e) {
      // Answer only after the body is drained, so the client sees the error
      // instead of a reset while it is still sending.
      if (!req.socket.destroyed) await discardBody(req);
      throw e;
    }
  }

  private async part(req: IncomingMessage, res: ServerResponse, rawPath: string, query: URLSearchParams): Promise<void> {
    const { stats, counters } = this.ctx;
    try {
      this.ctx.signer.verify(req, rawPath, query);
    } catch (e) {
      if (e instanceof OssError && e.message === 'Request has expired.') stats.inc('expiredPartUrl');
      throw e;
    }
    const [uploadId, numText] = rawPath.slice(UPLOAD_PREFIX.length).split('/');
    const s = this.sessions.get(uploadId);
    if (!s || s.rapid || this.expired(s)) throw new OssError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
    const n = Number(numText);
    if (s.parts.some((p) => p.part_number === n)) {
      stats.inc('partConflict');
      throw new OssError(409, 'PartAlreadyExist', 'Part already exist.', { PartNumber: n });
    }
    if (s.busy || n !== s.parts.length + 1) {
      stats.inc('partNotSequential');
      throw new OssError(400, 'PartNotSequential', 'For sequential multipart upload, you must upload or complete parts with sequential part number.', { PartNumber: n });
    }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > MAX_PART_BYTES) throw new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.');
    if (counters.failPart.hit()) {
      await discardBody(req);
      stats.inc('partFailed');
      throw new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
    const cutAfter = counters.cutPart.hit() ? Math.floor((declared ?? 2) / 2) : undefined;
    const socket = req.socket; // captured: req detaches from it once destroyed

    s.busy = true;
    let got = 0;
    let outcome: 'ok' | 'cut' | 'short' = 'ok';
    const sha1 = s.sha1.copy();
    const md5 = createHash('md5');
    try {
      const fh = (s.fh ??= await open(s.staged, 'r+'));
      for await (const chunk of req as AsyncIterable<Buffer>) {
        if (cutAfter !== undefined && got + chunk.length >= cutAfter) {
          outcome = 'cut';
          break;
        }
        await fh.write(chunk, 0, chunk.length, s.received + got);
        sha1.update(chunk);
        md5.update(chunk);
        got += chunk.length;
        if (got > MAX_PART_BYTES) throw new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.');
      }
    } catch (e) {
      if (e instanceof OssError) {
        s.busy = false;
        await s.fh?.truncate(s.received).catch(() => undefined);
        throw e;
      }
      outcome = 'short'; // client went away mid-part
    } finally {
      s.busy = false;
    }
    const good = outcome === 'ok' && (declared === undefined || got === declared);
    // Keep nothing of a broken part.
    if (!good) await s.fh?.truncate(s.received).catch(() => undefined);
    if (outcome === 'cut') {
      stats.inc('partCut');
      socket.destroy();
      return;
    }
    if (!good) {
      if (!socket.destroyed) throw new OssError(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
      return;
    }
    const etag = md5.digest('hex').toUpperCase();
    s.parts.push({ part_number: n, size: got, etag });
    s.received += got;
    s.sha1 = sha1;
    stats.inc('uploadBytes', got);
    res.writeHead(200, { ETag: `"${etag}"`, 'Content-Length': 0, 'x-oss-request-id': randomBytes(12).toString('hex').toUpperCase() });
    res.end();
  }

  private async drop(s: Session): Promise<void> {
    this.sessions.delete(s.uploadId);
    await s.fh?.close().catch(() => undefined);
    s.fh = null;
    if (s.staged) await rm(s.staged, { force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const s of [...this.sessions.values()]) await this.drop(s);
  }
}
