import { setTimeout as sleep } from 'node:timers/promises';
import { RangeTrim } from './ranged-body.js';
import type { HttpClient } from '../../http/client.js';
import { DriveError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { DownloadLink, RemoteEntry } from '../types.js';
import { DownloadSlots } from './download-slots.js';
import { LinkCache } from './link-cache.js';

/** Consecutive attempts that bring no new byte before the range is given up as EIO. */
const MAX_FRUITLESS_ATTEMPTS = 6;
/** Waits for a busy service (too many downloads in flight) before that counts as a failure. */
const MAX_BUSY_WAITS = 30;

export interface LinkedContentOptions {
  http: HttpClient;
  log: Logger;
  /** A fresh pre-authenticated link for a file (an API call). */
  resolve: (path: string, entry: RemoteEntry) => Promise<DownloadLink>;
  /** Downloads the service allows in flight at once for the user: ranges wait for a slot. */
  maxConcurrentDownloads?: number;
  /**
   * Error codes in a storage host's refusal that mean "too many downloads right now", not "link
   * expired": such a download waits and tries again with the same link.
   */
  busyCodes?: readonly string[];
  /**
   * Called once a range has its download slot, before anything is resolved: what it returns is
   * called when the range ends. (Share copies are held only by reads that can progress, so a
   * read waiting for a slot never pins a copy that a read holding a slot waits to evict.)
   */
  holdWhileReading?: (entry: RemoteEntry) => () => void;
}

/**
 * File content for services that hand out pre-authenticated download links (OneDrive, Aliyundrive).
 * A range is one ranged GET; a body cut mid-way resumes from the first missing byte, a refused
 * (expired) link is re-resolved, a busy answer waits with the same link, 416 means the file ended.
 */
export class LinkedContent {
  readonly links: LinkCache;
  private readonly slots?: DownloadSlots;

  constructor(private readonly o: LinkedContentOptions) {
    this.links = new LinkCache(o.resolve);
    if (o.maxConcurrentDownloads) this.slots = new DownloadSlots(o.maxConcurrentDownloads);
  }

  /** The item changed or went away (upload, move, remove): its cached link must not be reused. */
  forget(id: string): void {
    this.links.forget(id);
  }

  /**
   * The bytes [start, end) in order; ends early only where the file really ends. One generator
   * from the socket's chunks to the consumer: no nested generators per chunk.
   */
  async *readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    if (end <= start) return;
    const release = await this.slots?.acquire(signal);
    let held: (() => void) | undefined;
    try {
      held = this.o.holdWhileReading?.(entry);
      // The download itself, inline: a nested generator would cost promises per chunk.
      const { http, log } = this.o;
      let pos = start;
      let fruitless = 0;
      let busyWaits = 0;
      while (pos < end) {
        if (signal?.aborted) throw new DriveError('EIO', 'download cancelled');
        const before = pos;
        const link = await this.links.get(path, entry);
        try {
          const res = await http.request({
            url: link.url,
            preauthenticated: true,
            headers: { ...link.headers, range: `bytes=${pos}-${end - 1}` },
            signal,
            acceptStatus: [401, 403, 404, 410, 416],
          });
          if (res.status === 416) {
            await res.body.dump();
            return; // the file is shorter than its listed size
          }
          if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 410) {
            const body = await res.body.text().catch(() => '');
            if (this.o.busyCodes?.some((c) => body.includes(c)) && busyWaits < MAX_BUSY_WAITS) {
              // Too many downloads in flight for the service right now: the link is fine, wait.
              busyWaits++;
              await sleep(Math.min(2000, 100 * 2 ** Math.min(busyWaits, 5)), undefined, { signal }).catch(() => undefined);
              continue;
            }
            // Expired or revoked pre-authenticated link: resolve a fresh one and go on from `pos`.
            log.debug({ path, status: res.status }, 'download link refused, re-resolving');
            this.links.invalidate(entry.id, link);
          } else if (res.status === 200 || (res.status === 206 && rangeStart(res.headers['content-range']) === pos)) {
            // A 200 means the host ignored Range: skip what we already have.
            const trim = new RangeTrim(res.status === 200 ? pos : 0, end - pos);
            try {
              for await (const piece of res.body as AsyncIterable<Buffer>) {
                const p = trim.take(piece);
                pos += p.length;
                if (p.length > 0) yield p;
                if (trim.done) break;
              }
            } finally {
              res.body.destroy(); // also when the consumer stops early: a host that keeps sending is cut off
            }
            if (pos === before && pos < end) return; // a clean, empty answer: nothing more exists
          } else {
            // Anything else (a redirect, 204, a 206 for other bytes) is no data for us: retry.
            await res.body.dump();
            log.debug({ path, status: res.status }, 'unexpected answer to a ranged download, retrying');
          }
        } catch (e) {
          if (signal?.aborted) throw new DriveError('EIO', 'download cancelled');
          log.debug({ path, from: pos, err: (e as Error).message }, 'range download interrupted, resuming');
        }
        fruitless = pos > before ? 0 : fruitless + 1;
        if (fruitless >= MAX_FRUITLESS_ATTEMPTS) {
          throw new DriveError('EIO', `download of ${path} failed: no progress after ${fruitless} attempts at byte ${pos}`);
        }
        if (fruitless > 1) await sleep(200 * 2 ** (fruitless - 2), undefined, { signal }).catch(() => undefined);
      }
    } finally {
      held?.();
      release?.();
    }
  }
}

function rangeStart(header: string | string[] | undefined): number | undefined {
  const m = /^bytes (\d+)-/.exec(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''));
  return m ? Number(m[1]) : undefined;
}
