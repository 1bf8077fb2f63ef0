// A small harness for tests (the emulator's and a driver's): temp folders, an
// emulator on an ephemeral port, a signed-in access token and JSON helpers.
// Not used by the emulator itself.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { type AliyundriveEmulator, type AliyundriveEmulatorOptions, startAliyundriveEmulator } from './server.js';

export interface JsonAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export interface AliHarness {
  emu: AliyundriveEmulator;
  root: string;
  backupRoot: string;
  accessToken: string;
  refreshToken: string;
  /** POST /adrive/v1.0/<op> with the bearer token (or `token`), parsed. */
  api(op: string, body?: unknown, token?: string): Promise<JsonAnswer>;
  /** POST /oauth/access_token with the current refresh token; keeps the rotated pair on success. */
  refresh(): Promise<JsonAnswer>;
  /** A fetch of any URL, body parsed as JSON when it is JSON, else text. */
  fetchJson(url: string, init?: RequestInit): Promise<JsonAnswer>;
  close(): Promise<void>;
}

export async function tempDir(prefix = 'drivemount-aliyun-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

async function parse(res: Response): Promise<JsonAnswer> {
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') body = JSON.parse(text);
  return { status: res.status, body, headers: res.headers };
}

/**
 * Starts an emulator on fresh temp folders (seeded by `seed`), signs in, and
 * resets the stats. Rate limits are off unless `opts.faults` turns them on,
 * since most tests are not about them.
 */
export async function startAliHarness(
  opts: Partial<AliyundriveEmulatorOptions> = {},
  seed?: (root: string, backupRoot: string) => Promise<void>,
): Promise<AliHarness> {
  const root = opts.root ?? (await tempDir());
  const backupRoot = opts.backupRoot ?? (await tempDir('drivemount-aliyun-backup-'));
  if (seed) await seed(root, backupRoot);
  const emu = await startAliyundriveEmulator({ ...opts, root, backupRoot, faults: { enforceRateLimits: false, ...opts.faults } });
  const h: AliHarness = {
    emu,
    root,
    backupRoot,
    accessToken: '',
    refreshToken: emu.refreshToken,
    async api(op, body = {}, token) {
      const res = await fetch(`${emu.url}/adrive/v1.0/${op}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token ?? h.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return parse(res);
    },
    async refresh() {
      const r = await h.fetchJson(`${emu.url}/oauth/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: emu.clientId, client_secret: emu.clientSecret, grant_type: 'refresh_token', refresh_token: h.refreshToken }),
      });
      if (r.status === 200) {
        h.accessToken = r.body.access_token;
        h.refreshToken = r.body.refresh_token;
      }
      return r;
    },
    async fetchJson(url, init) {
      return parse(await fetch(url, init));
    },
    async close() {
      await emu.close();
      await rm(root, { recursive: true, force: true });
      await rm(backupRoot, { recursive: true, force: true });
    },
  };
  const r = await h.refresh();
  if (r.status !== 200) throw new Error(`initial refresh failed: ${r.status} ${JSON.stringify(r.body)}`);
  emu.resetStats();
  return h;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
