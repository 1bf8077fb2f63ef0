import type { HttpStats } from '../http/client.js';
import type { Logger } from '../util/log.js';
import type { UploadProgress } from '../vfs/write/staged-files.js';
import { formatBytes, formatRate } from './format.js';

export interface StatsSources {
  vfs: { stats: { bytesRead: number; bytesWritten: number }; uploadsInFlight(): UploadProgress[] };
  http: { stats: HttpStats };
}

interface Sample {
  at: number;
  read: number;
  written: number;
  api: number;
  throttled: number;
  throttleWaitMs: number;
}

/** An upload running longer than this gets progress lines of its own. */
export const LONG_UPLOAD_MS = 5_000;

/**
 * What a long transfer is doing, as log lines: one per `--stats` interval, on SIGUSR1, and a
 * progress line for each upload that has run longer than a few seconds.
 */
export class MountStats {
  private last: Sample;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onSignal = () => this.log.info(this.line());

  constructor(
    private readonly src: StatsSources,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.last = this.sample();
  }

  start(o: { intervalSec?: number; progressEverySec?: number }): void {
    if (o.intervalSec && o.intervalSec > 0) this.timers.push(setInterval(() => this.log.info(this.line()), o.intervalSec * 1000).unref());
    const every = (o.progressEverySec ?? 5) * 1000;
    this.timers.push(setInterval(() => this.logLongUploads(), every).unref());
    process.on('SIGUSR1', this.onSignal);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    process.off('SIGUSR1', this.onSignal);
  }

  /** Rates since the previous line, then what is in flight and the API cost. */
  line(): string {
    const s = this.sample();
    const secs = Math.max(0.001, (s.at - this.last.at) / 1000);
    const d = (k: keyof Sample) => s[k] - this.last[k];
    const uploads = this.src.vfs.uploadsInFlight();
    const parts = [
      `read ${formatRate(d('read') / secs)}`,
      `written ${formatRate(d('written') / secs)}`,
      uploads.length === 0 ? 'no uploads' : `${uploads.length} upload${uploads.length > 1 ? 's' : ''} (${uploads.map(describeUpload).join(', ')})`,
      `API calls ${d('api')} (${(d('api') / secs).toFixed(1)}/s, ${s.api} in all)`,
      `throttled ${d('throttled')} (waited ${(d('throttleWaitMs') / 1000).toFixed(1)} s)`,
    ];
    this.last = s;
    return `stats: ${parts.join(', ')}`;
  }

  /** One line per upload that has been running for a while: a long close() is not a hang. */
  logLongUploads(): void {
    const now = this.now();
    for (const u of this.src.vfs.uploadsInFlight()) {
      const ran = now - u.startedMs;
      if (ran < LONG_UPLOAD_MS) continue;
      this.log.info(
        `uploading ${u.path}: ${percent(u)}% (${formatBytes(u.committed)} of ${formatBytes(u.size)}) at ${formatRate((u.committed * 1000) / Math.max(1, ran))}, ${Math.round(ran / 1000)} s so far`,
      );
    }
  }

  private sample(): Sample {
    const h = this.src.http.stats;
    return {
      at: this.now(),
      read: this.src.vfs.stats.bytesRead,
      written: this.src.vfs.stats.bytesWritten,
      api: h.apiCalls,
      throttled: h.throttled,
      throttleWaitMs: h.throttleWaitMs,
    };
  }
}

function percent(u: UploadProgress): number {
  return u.size === 0 ? 100 : Math.floor((u.committed / u.size) * 100);
}

function describeUpload(u: UploadProgress): string {
  return `${u.path} ${percent(u)}% of ${formatBytes(u.size)}`;
}
