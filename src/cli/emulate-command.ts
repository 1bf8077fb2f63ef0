import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../util/errors.js';
import { startOneDriveEmulator, type OneDriveFaults } from '../emulators/onedrive/server.js';
import { startAliyundriveEmulator, type AliyundriveFaults } from '../emulators/aliyundrive/server.js';
import { emulateShare } from '../emulators/onedrive-share/emulate.js';

export interface EmulateOptions {
  root: string;
  port: string;
  host: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  linkTtl?: string;
  tokenTtl?: string;
  latency?: string;
  bandwidth?: string;
  throttleEvery?: string;
  retryAfter?: string;
  cutEvery?: string;
  failFragmentEvery?: string;
  cutFragmentEvery?: string;
  sessionTtl?: string;
  quota?: string;
  /** `SITE_ID=DIR` pairs: SharePoint sites, each a drive of its own. */
  site?: string[];
  /** Aliyundrive: folder backing the backup drive. */
  backupRoot?: string;
  partUrlTtl?: string;
  failPartEvery?: string;
  cutPartEvery?: string;
  rateLimits?: boolean;
  /** Aliyundrive legacy API: lifetime of device sessions. */
  deviceSessionTtl?: string;
  /** Aliyundrive share: the sharing user's own drive stays in --root; the caller's drive, the share's password, token lifetime, downloads. */
  ownRoot?: string;
  sharePassword?: string;
  shareTokenTtl?: string;
  shareDownloads?: string;
  /** OneDrive share: the link's password, cookie lifetime, listing page size. */
  password?: string;
  cookieTtl?: string;
  pageSize?: string;
  editable?: boolean;
}

/**
 * `drivemount emulate onedrive`: run the Graph emulator in the foreground. Prints one JSON line
 * on stdout once listening (url, port, credentials) so scripts and tests can connect to it.
 */
export async function emulateCommand(service: string, o: EmulateOptions): Promise<void> {
  const known = ['onedrive', 'aliyundrive', 'aliyundrive-legacy', 'aliyundrive-share', 'onedrive-share'];
  if (!known.includes(service)) throw new ConfigError(`unknown service "${service}" (available: ${known.join(', ')})`);
  const root = path.resolve(o.root);
  const st = await fs.stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new ConfigError(`--root ${root} is not a folder`);
  if (service === 'aliyundrive') return emulateAliyundrive(root, o);
  // The same emulator, announcing a legacy (mobile app) refresh token.
  if (service === 'aliyundrive-legacy') return emulateAliyundrive(root, o, 'legacy');
  // Again with legacy tokens; --root is the shared content (another user's drive), --own-root the caller's drive.
  if (service === 'aliyundrive-share') return emulateAliyundrive(root, o, 'legacy', true);
  if (service === 'onedrive-share') return emulateShare(root, o, { num, announce, untilSignalled });
  const faults: Partial<OneDriveFaults> = {};
  const set = <K extends keyof OneDriveFaults>(k: K, v: number | undefined) => {
    if (v !== undefined) faults[k] = v;
  };
  set('linkTtlSec', num(o.linkTtl, '--link-ttl'));
  set('accessTokenTtlSec', num(o.tokenTtl, '--token-ttl'));
  set('latencyMs', num(o.latency, '--latency'));
  set('bandwidthBytesPerSec', num(o.bandwidth, '--bandwidth'));
  set('throttleEvery', num(o.throttleEvery, '--throttle-every'));
  set('retryAfterSec', num(o.retryAfter, '--retry-after'));
  set('cutDownloadEvery', num(o.cutEvery, '--cut-every'));
  set('failFragmentEvery', num(o.failFragmentEvery, '--fail-fragment-every'));
  set('cutFragmentEvery', num(o.cutFragmentEvery, '--cut-fragment-every'));
  set('uploadSessionTtlSec', num(o.sessionTtl, '--session-ttl'));
  set('quotaTotal', num(o.quota, '--quota'));
  const sites: Record<string, string> = {};
  for (const pair of o.site ?? []) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new ConfigError(`--site takes SITE_ID=DIR, got "${pair}"`);
    sites[pair.slice(0, i)] = path.resolve(pair.slice(i + 1));
  }
  const emu = await startOneDriveEmulator({
    root,
    sites,
    port: num(o.port, '--port') ?? 0,
    host: o.host,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    initialRefreshToken: o.refreshToken,
    faults,
  });
  announce({ url: emu.url, port: emu.port, clientId: emu.clientId, clientSecret: emu.clientSecret, refreshToken: emu.refreshToken, driveId: emu.driveId });
  await untilSignalled();
  await emu.close();
}

async function emulateAliyundrive(root: string, o: EmulateOptions, tokenKind: 'open' | 'legacy' = 'open', share = false): Promise<void> {
  const faults: Partial<AliyundriveFaults> = {};
  const set = <K extends keyof AliyundriveFaults>(k: K, v: AliyundriveFaults[K] | undefined) => {
    if (v !== undefined) faults[k] = v;
  };
  set('accessTokenTtlSec', num(o.tokenTtl, '--token-ttl'));
  set('maxLinkTtlSec', num(o.linkTtl, '--link-ttl'));
  set('latencyMs', num(o.latency, '--latency'));
  set('bandwidthBytesPerSec', num(o.bandwidth, '--bandwidth'));
  set('throttleEvery', num(o.throttleEvery, '--throttle-every'));
  const ra = num(o.retryAfter, '--retry-after');
  if (ra !== undefined) set('retryAfterMs', ra * 1000);
  set('cutDownloadEvery', num(o.cutEvery, '--cut-every'));
  set('partUrlTtlSec', num(o.partUrlTtl, '--part-url-ttl'));
  set('failPartEvery', num(o.failPartEvery, '--fail-part-every'));
  set('cutPartEvery', num(o.cutPartEvery, '--cut-part-every'));
  set('quotaTotal', num(o.quota, '--quota'));
  if (o.rateLimits === false) set('enforceRateLimits', false);
  set('deviceSessionTtlSec', num(o.deviceSessionTtl, '--device-session-ttl'));
  const shareOpts = share ? await shareOptions(root, o) : undefined;
  const emu = await startAliyundriveEmulator({
    tokenKind,
    ...(shareOpts ?? { root }),
    backupRoot: o.backupRoot ? path.resolve(o.backupRoot) : undefined,
    port: num(o.port, '--port') ?? 0,
    host: o.host,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    initialRefreshToken: o.refreshToken,
    faults,
  });
  announce({
    url: emu.url, port: emu.port, clientId: emu.clientId, clientSecret: emu.clientSecret, refreshToken: emu.refreshToken,
    renewApiUrl: emu.renewApiUrl, driveIds: emu.driveIds, legacyRefreshToken: emu.legacyRefreshToken,
    ...(share ? { shareId: emu.shareId, sharePassword: emu.sharePassword, shareDriveId: emu.shareDriveId, ownRoot: shareOpts!.root } : {}),
  });
  await untilSignalled();
  await emu.close();
  if (shareOpts?.ownTemp) await fs.rm(shareOpts.root, { recursive: true, force: true });
}

/** `emulate aliyundrive-share`: the shared folder, the caller's own drive (a temp folder unless --own-root) and the share's knobs. */
async function shareOptions(shareRoot: string, o: EmulateOptions) {
  const downloads = o.shareDownloads ?? 'refused';
  if (downloads !== 'refused' && downloads !== 'working') throw new ConfigError(`--share-downloads takes refused or working, got "${downloads}"`);
  const ownTemp = o.ownRoot === undefined;
  const root = ownTemp ? await fs.mkdtemp(path.join(os.tmpdir(), 'drivemount-aliyun-own-')) : path.resolve(o.ownRoot!);
  const ttl = num(o.shareTokenTtl, '--share-token-ttl');
  return {
    root, ownTemp, shareRoot, sharePassword: o.sharePassword,
    share: { shareDownloads: downloads as 'refused' | 'working', ...(ttl ? { shareTokenTtlSec: ttl } : {}) },
  };
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${flag} takes a non-negative number, got "${v}"`);
  return n;
}

/** One JSON line on stdout once listening, for scripts and tests. */
function announce(info: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ event: 'listening', ...info }) + '\n');
}

function untilSignalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
