// Shared setup for the emulator tests: a temp folder, an emulator on an
// ephemeral port, and a signed-in client (access token) for Graph calls.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  startOneDriveEmulator,
  type OneDriveEmulator,
  type OneDriveEmulatorOptions,
} from '../../src/emulators/onedrive/server.js';

export interface Harness {
  emu: OneDriveEmulator;
  root: string;
  /** Extra temp folders (sites) to remove at the end. */
  dirs: string[];
  accessToken: string;
  /** GET/any Graph call relative to /v1.0 with the bearer token. */
  graph(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** Same, parsed as JSON (asserting nothing about the status). */
  graphJson(pathAndQuery: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
  /** Exchanges the current refresh token for new tokens (keeps the rotated one). */
  refresh(): Promise<Response>;
  refreshToken: string;
  close(): Promise<void>;
}

export async function tempDir(prefix = 'drivemount-emu-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export function tokenForm(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

export async function startHarness(
  opts: Partial<OneDriveEmulatorOptions> = {},
  seed?: (root: string) => Promise<void>,
): Promise<Harness> {
  const root = opts.root ?? (await tempDir());
  if (seed) await seed(root);
  const emu = await startOneDriveEmulator({ ...opts, root });
  const h: Harness = {
    emu,
    root,
    dirs: [],
    accessToken: '',
    refreshToken: emu.refreshToken,
    async refresh() {
      const res = await fetch(
        `${emu.url}/common/oauth2/v2.0/token`,
        tokenForm({
          grant_type: 'refresh_token',
          refresh_token: h.refreshToken,
          client_id: emu.clientId,
          client_secret: emu.clientSecret,
          redirect_uri: 'http://localhost:53682/',
        }),
      );
      if (res.status === 200) {
        const body = (await res.clone().json()) as { access_token: string; refresh_token: string };
        h.accessToken = body.access_token;
        h.refreshToken = body.refresh_token;
      }
      return res;
    },
    graph(p, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${h.accessToken}`);
      return fetch(`${emu.url}/v1.0${p}`, { redirect: 'manual', ...init, headers });
    },
    async graphJson(p, init) {
      const res = await h.graph(p, init);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      await emu.close();
      await rm(root, { recursive: true, force: true });
      for (const d of h.dirs) await rm(d, { recursive: true, force: true });
    },
  };
  const res = await h.refresh();
  if (res.status !== 200) throw new Error(`initial refresh failed: ${res.status}`);
  emu.resetStats();
  return h;
}

/** Admin call helper. */
export async function admin(emu: OneDriveEmulator, route: string, init?: RequestInit): Promise<Response> {
  return fetch(`${emu.url}/_emulator/${route}`, init);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
