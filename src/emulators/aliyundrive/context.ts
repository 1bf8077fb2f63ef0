// Everything a request handler needs, gathered in one object built by
// startAliyundriveEmulator() (no module-level state, so several emulators can run
// in one process, e.g. in tests).

import type { EveryN } from '../common/faults.js';
import type { Stats } from '../common/stats.js';
import type { AuthState } from './auth.js';
import type { DeviceSessions } from './device-sessions.js';
import type { Sha1Cache } from './hashes.js';
import type { LegacyAuth } from './legacy-auth.js';
import type { QrSessions } from './qr-sessions.js';
import type { RateLimiter } from './ratelimit.js';
import type { Usage } from './quota.js';
import type { FaultSettings } from './settings.js';
import type { UrlSigner } from './signer.js';
import type { AliDrive } from './store.js';
import type { UploadManager } from './uploads.js';

export interface AliContext {
  /** Base URL (no trailing slash), known once the server listens. */
  url: string;
  userId: string;
  faults: FaultSettings;
  stats: Stats;
  auth: AuthState;
  /** The legacy (mobile app) API's tokens and device sessions. */
  legacy: { auth: LegacyAuth; sessions: DeviceSessions };
  /** QR logins under way (qr-login.ts, qr-phone.ts). */
  qr: QrSessions;
  signer: UrlSigner;
  hashes: Sha1Cache;
  rates: RateLimiter;
  usage: Usage;
  drives: { resource: AliDrive; backup: AliDrive; default: AliDrive };
  drivesById: Map<string, AliDrive>;
  counters: {
    throttle: EveryN;
    cutDownload: EveryN;
    failPart: EveryN;
    cutPart: EveryN;
  };
  /** Download responses being streamed right now (the concurrency limit). */
  downloadsInFlight: { n: number };
  uploads: UploadManager;
}

/** An API request being served: the caller's access token and the parsed JSON body. */
export interface ApiCall {
  ctx: AliContext;
  accessToken: string;
  body: Record<string, unknown>;
}
