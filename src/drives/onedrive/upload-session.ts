import type { HttpClient } from '../../http/client.js';
import { isHttpStatus } from '../../http/http-error.js';
import { isNetworkError } from '../../http/client.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { UploadSession, UploadSource } from '../types.js';
import type { GraphApi } from './graph-api.js';
import { graphError } from './graph-errors.js';
import { ReadAhead } from '../read-ahead.js';
import type { DriveItem } from './drive-items.js';

/** Every fragment but the last must be a multiple of this (docs/services/onedrive.md, "Upload sessions"). */
export const FRAGMENT_UNIT = 320 * 1024;
/** Consecutive failures without progress before an upload gives up. */
const MAX_FRUITLESS = 6;
/** Fresh sessions tried when one expires (404) before giving up. */
const MAX_SESSIONS = 3;

interface SessionAnswer {
  uploadUrl: string;
  expirationDateTime?: string;
  nextExpectedRanges?: string[];
}

/**
 * One file through a Graph upload session: fragments of `chunkSize` in order, resumed from the
 * service's `nextExpectedRanges` after a failure, restarted in a new session if one expires, and
 * checked against the service's QuickXorHash at the end.
 */
export async function uploadInSession(
  deps: { api: GraphApi; http: HttpClient; log: Logger },
  target: { itemPath: string; shown: string },
  src: UploadSource,
  opts: { chunkSize: number; mtimeMs?: number; resume?: { url: string }; onSession?: (s: UploadSession) => void },
): Promise<DriveItem> {
  const hasher = new QuickXorHash();
  let hashed = 0; // bytes fed to the hasher, always a prefix of the file
  // The next fragment is read and hashed while the current one is sent (two in memory).
  const pieces = new ReadAhead(src, opts.chunkSize, (b, at) => {
    if (at <= hashed && at + b.length > hashed) {
      hasher.update(at === hashed ? b : b.subarray(hashed - at));
      hashed = at + b.length;
    }
  });
  /** The service holds bytes up to `offset` already (a resumed session): hash them from the local copy. */
  const catchUp = async (offset: number) => {
    while (hashed < offset) {
      const b = await pieces.read(hashed, Math.min(opts.chunkSize, offset - hashed));
      if (b.length === 0) throw new DriveError('EIO', `${target.shown}: the staged file is shorter than what the service holds`);
    }
  };
  try {
    return await sendInSessions(deps, target, src, opts, pieces, catchUp, hasher);
  } finally {
    await pieces.settle();
  }
}

async function sendInSessions(
  deps: { api: GraphApi; http: HttpClient; log: Logger },
  target: { itemPath: string; shown: string },
  src: UploadSource,
  opts: { chunkSize: number; mtimeMs?: number; resume?: { url: string }; onSession?: (s: UploadSession) => void },
  pieces: ReadAhead,
  catchUp: (offset: number) => Promise<void>,
  hasher: QuickXorHash,
): Promise<DriveItem> {
  for (let session = 1; ; session++) {
    let s: SessionAnswer | undefined;
    let offset = 0;
    if (session === 1 && opts.resume) {
      try {
        offset = await resumeOffset(deps.http, opts.resume.url);
        s = { uploadUrl: opts.resume.url };
        src.progress?.(offset);
        deps.log.info({ path: target.shown, offset }, 'resuming the upload where the service stands');
      } catch (e) {
        if (!(e instanceof SessionExpired)) throw graphError(e, `upload ${target.shown}`);
        deps.log.info({ path: target.shown }, 'the earlier upload session has expired; starting a new one');
      }
    }
    if (!s) {
      s = await createSession(deps.api, target, opts.mtimeMs);
      opts.onSession?.({ kind: 'onedrive', url: s.uploadUrl, expiresAtMs: s.expirationDateTime ? Date.parse(s.expirationDateTime) : undefined });
    }
    let fruitless = 0;
    try {
      for (;;) {
        await catchUp(offset);
        const len = Math.min(opts.chunkSize, src.size - offset);
        const body = await pieces.read(offset, len);
        if (body.length !== len) throw new DriveError('EIO', `${target.shown}: the staged file shrank during upload`);
        let res;
        try {
          res = await deps.http.request({
            method: 'PUT',
            url: s.uploadUrl,
            preauthenticated: true,
            body,
            headers: { 'content-length': String(len), 'content-range': `bytes ${offset}-${offset + len - 1}/${src.size}` },
            acceptStatus: [200, 201, 202, 404, 416, 500, 502, 504],
          });
        } catch (e) {
          if (!isNetworkError(e) && !isHttpStatus(e, 503)) throw e;
          res = undefined; // a cut connection: ask the service where it stands
        }
        if (res && (res.status === 200 || res.status === 201)) {
          const item = (await res.body.json()) as DriveItem;
          verifyHash(item, hasher, target.shown);
          src.progress?.(src.size);
          return item;
        }
        if (res?.status === 202) {
          const next = (await res.body.json()) as SessionAnswer;
          offset = nextOffset(next, offset + len);
          src.progress?.(offset);
          fruitless = 0;
          continue;
        }
        if (res?.status === 404) {
          await res.body.dump();
          throw new SessionExpired();
        }
        await res?.body.dump();
        // 416 (bytes the service already has), 5xx or a cut: resume where the service says.
        if (++fruitless >= MAX_FRUITLESS) throw new DriveError('EIO', `${target.shown}: upload failed ${fruitless} times at byte ${offset}`);
        deps.log.debug({ path: target.shown, offset, status: res?.status }, 'fragment failed, resuming');
        offset = await resumeOffset(deps.http, s.uploadUrl);
      }
    } catch (e) {
      if (e instanceof SessionExpired && session < MAX_SESSIONS) {
        deps.log.warn({ path: target.shown }, 'upload session expired; starting a new one');
        continue;
      }
      // A session someone keeps (a journal) is left for a later try to resume; it expires by itself.
      if (!opts.onSession) await deps.http.request({ method: 'DELETE', url: s.uploadUrl, preauthenticated: true, acceptStatus: [404] }).then((r) => r.body.dump(), () => undefined);
      if (e instanceof SessionExpired) throw new DriveError('EIO', `${target.shown}: the upload session kept expiring`);
      throw graphError(e, `upload ${target.shown}`);
    }
  }
}

class SessionExpired extends Error {}

async function createSession(api: GraphApi, target: { itemPath: string; shown: string }, mtimeMs?: number): Promise<SessionAnswer> {
  const item: Record<string, unknown> = { '@microsoft.graph.conflictBehavior': 'replace' };
  if (mtimeMs !== undefined) item.fileSystemInfo = { lastModifiedDateTime: new Date(mtimeMs).toISOString() };
  try {
    return await api.json<SessionAnswer>(`${target.itemPath}/createUploadSession`, { method: 'POST', body: JSON.stringify({ item }) });
  } catch (e) {
    throw graphError(e, `upload ${target.shown}`);
  }
}

/** The first missing byte, from `["12345-"]` or `["12345-67890", ...]`. */
function nextOffset(a: SessionAnswer, fallback: number): number {
  const first = a.nextExpectedRanges?.[0];
  const n = first ? Number(first.split('-')[0]) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

async function resumeOffset(http: HttpClient, uploadUrl: string): Promise<number> {
  const res = await http.request({ url: uploadUrl, preauthenticated: true, acceptStatus: [404] });
  if (res.status === 404) {
    await res.body.dump();
    throw new SessionExpired();
  }
  return nextOffset((await res.body.json()) as SessionAnswer, 0);
}

/** The service's hash of what it committed must equal the hash of what we sent. */
export function verifyHash(item: DriveItem, hasher: QuickXorHash, shown: string): void {
  const theirs = item.file?.hashes?.quickXorHash;
  if (!theirs) return; // some drive types omit it: nothing to compare
  const ours = hasher.digestBase64();
  if (theirs !== ours) throw new DriveError('EIO', `${shown}: the service's checksum (${theirs}) differs from the bytes written (${ours})`);
}

