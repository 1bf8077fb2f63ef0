// Streams a byte range of an open file as an HTTP response body, optionally
// bandwidth-limited and optionally cut (socket destroyed) part-way through.
//
// The unthrottled, uncut case is the benchmark hot path: a plain read stream
// with 1 MiB reads piped into the response, no per-byte or per-chunk work.

import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

import { sleep } from './faults.js';

export const STREAM_CHUNK = 1 << 20;

export interface SendRangeOptions {
  /** First byte to send. */
  start: number;
  /** Last byte to send (inclusive); end < start means an empty body. */
  end: number;
  /** 0 = unlimited. */
  bandwidthBytesPerSec: number;
  /** If set, destroy the socket after this many body bytes. */
  cutAfterBytes?: number;
}

export type SendOutcome = 'complete' | 'cut' | 'aborted';

export interface SendResult {
  outcome: SendOutcome;
  bytes: number;
}

/**
 * Writes the body only: the caller has already called res.writeHead().
 * The file handle stays open (the caller closes it).
 */
export async function sendFileRange(res: ServerResponse, fh: FileHandle, opts: SendRangeOptions): Promise<SendResult> {
  const length = Math.max(0, opts.end - opts.start + 1);
  const cut = opts.cutAfterBytes;
  if (opts.bandwidthBytesPerSec <= 0 && cut === undefined) {
    if (length === 0) {
      res.end();
      return { outcome: 'complete', bytes: 0 };
    }
    const rs = fh.createReadStream({ start: opts.start, end: opts.end, highWaterMark: STREAM_CHUNK, autoClose: false });
    try {
      await pipeline(rs, res);
      return { outcome: 'complete', bytes: length };
    } catch {
      return { outcome: 'aborted', bytes: rs.bytesRead };
    }
  }
  return pump(res, fh, opts, length);
}

/** Chunked copy loop used when pacing or cutting is needed. */
async function pump(res: ServerResponse, fh: FileHandle, opts: SendRangeOptions, length: number): Promise<SendResult> {
  const rate = opts.bandwidthBytesPerSec;
  // Aim for ~20 writes a second when throttled so pacing is smooth, without
  // going below 4 KiB per write.
  const chunk = rate > 0 ? Math.max(4096, Math.min(STREAM_CHUNK, Math.floor(rate / 20))) : STREAM_CHUNK;
  const limit = opts.cutAfterBytes === undefined ? length : Math.min(length, opts.cutAfterBytes);
  const began = Date.now();
  let sent = 0;
  let closed = false;
  res.once('close', () => {
    closed = true;
  });

  while (sent < limit && !closed) {
    const n = Math.min(chunk, limit - sent);
    // A fresh buffer per write: the response may hold on to it until flushed.
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = await fh.read(buf, 0, n, opts.start + sent);
    if (bytesRead === 0) break; // file shrank under us: stop, client sees a short body
    const ok = res.write(bytesRead === n ? buf : buf.subarray(0, bytesRead));
    sent += bytesRead;
    if (!ok && !closed) await waitDrain(res);
    // No pacing pause after the last byte: the client has everything, and a pause before
    // res.end() would keep the response "in flight" after the client saw it finish.
    if (rate > 0 && sent < limit) {
      const due = began + (sent / rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
  }

  if (closed) return { outcome: 'aborted', bytes: sent };
  if (opts.cutAfterBytes !== undefined && sent < length) {
    // Let what we wrote reach the socket, then drop the connection the way a
    // failing CDN node would: the client sees a premature end of body.
    await new Promise<void>((resolve) => res.write(Buffer.alloc(0), () => resolve()));
    res.socket?.destroy();
    return { outcome: 'cut', bytes: sent };
  }
  if (sent < length) {
    res.socket?.destroy(); // short file: never pretend the body was complete
    return { outcome: 'aborted', bytes: sent };
  }
  res.end();
  return { outcome: 'complete', bytes: sent };
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
