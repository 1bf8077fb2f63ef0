// `drivemount emulate onedrive-share`: the share emulator in the foreground, its flags mapped
// onto its fault settings.

import type { EmulateOptions } from '../../cli/emulate-command.js';
import { startShareEmulator, type ShareFaults } from './server.js';

export interface EmulateHelpers {
  num(v: string | undefined, flag: string): number | undefined;
  announce(info: Record<string, unknown>): void;
  untilSignalled(): Promise<void>;
}

export async function emulateShare(root: string, o: EmulateOptions, h: EmulateHelpers): Promise<void> {
  const faults: Partial<ShareFaults> = {};
  const set = <K extends keyof ShareFaults>(k: K, v: number | undefined) => {
    if (v !== undefined) faults[k] = v;
  };
  set('latencyMs', h.num(o.latency, '--latency'));
  set('bandwidthBytesPerSec', h.num(o.bandwidth, '--bandwidth'));
  set('throttleEvery', h.num(o.throttleEvery, '--throttle-every'));
  set('retryAfterSec', h.num(o.retryAfter, '--retry-after'));
  set('cutDownloadEvery', h.num(o.cutEvery, '--cut-every'));
  set('cookieTtlSec', h.num(o.cookieTtl, '--cookie-ttl'));
  set('pageSize', h.num(o.pageSize, '--page-size'));
  set('driveTokenTtlSec', h.num(o.tokenTtl, '--token-ttl'));
  set('uploadSessionTtlSec', h.num(o.sessionTtl, '--session-ttl'));
  if (o.editable) faults.editable = 1;
  const emu = await startShareEmulator({ root, password: o.password, port: h.num(o.port, '--port') ?? 0, host: o.host, faults });
  // clientId etc. are part of every emulator's announcement; a share has none.
  h.announce({ url: emu.url, port: emu.port, clientId: '', clientSecret: '', refreshToken: '', shareUrl: emu.shareUrl, sharePassword: emu.password });
  await h.untilSignalled();
  await emu.close();
}
