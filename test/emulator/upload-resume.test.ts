// resumeUpload of both drivers against their emulators: an upload cut off part-way (its process
// "died") goes on from the byte the service holds, sending only the rest, or starts again in a
// new session/upload when the old one expired. Bytes sent are the emulators' own counts.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { AliyundriveDrive } from '../../src/drives/aliyundrive/open/aliyundrive-drive.js';
import { parseAliyundriveConfig } from '../../src/drives/aliyundrive/open/config.js';
import { OneDriveDrive } from '../../src/drives/onedrive/onedrive-drive.js';
import { parseOneDriveConfig } from '../../src/drives/onedrive/config.js';
import type { DriveWriter, UploadSession, UploadSource } from '../../src/drives/types.js';
import { startAliHarness } from '../../src/emulators/aliyundrive/harness.js';
import { remoteSettingsFor } from '../../src/emulators/emulator-process.js';
import { startOneDriveEmulator } from '../../src/emulators/onedrive/server.js';
import { HttpClient } from '../../src/http/client.js';
import { silentLogger } from '../../src/util/log.js';

const MiB = 1 << 20;
const FRAGMENT = 320 * 1024;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});


/** The file's bytes; reads at or past `dieAt` throw, as if the process ended there. */
function source(data: Buffer, dieAt = Infinity): UploadSource & { reads: number[] } {
  const reads: number[] = [];
  return {
    size: data.length,
    reads,
    async read(offset, length) {
      if (offset + length > dieAt) throw new Error("stopped");
      reads.push(offset);
      return Buffer.from(data.subarray(offset, offset + length));
    },
  };
}

async function oneDrive(faults: Record<string, number> = {}) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'dm-resume-od-'));
  const emu = await startOneDriveEmulator({ root, faults });
  const http = new HttpClient({ logger: silentLogger });
  const cfg = parseOneDriveConfig('t', { type: 'onedrive', refreshToken: emu.refreshToken, clientId: emu.clientId, clientSecret: emu.clientSecret, authUrl: emu.url, graphUrl: emu.url });
  const drive = new OneDriveDrive('t', cfg, { http, store: memoryRefreshTokenStore(emu.refreshToken), log: silentLogger }, { chunkSize: 4 * FRAGMENT });
  await drive.connect();
  cleanups.push(async () => {
    await http.close();
    await emu.close();
    await rm(root, { recursive: true, force: true });
  });
  return { root, writer: drive.writer as DriveWriter, stats: () => emu.stats(), setFaults: (f: Record<string, number>) => emu.setFaults(f), chunk: 4 * FRAGMENT };
}

async function aliyun() {
  const h = await startAliHarness({ faults: { enforceRateLimits: false } });
  const http = new HttpClient({ logger: silentLogger });
  const e = h.emu;
  const settings = remoteSettingsFor('aliyundrive', { url: e.url, port: e.port, clientId: e.clientId, clientSecret: e.clientSecret, refreshToken: h.refreshToken });
  const drive = new AliyundriveDrive('t', parseAliyundriveConfig('t', settings), { http, store: memoryRefreshTokenStore(h.refreshToken), log: silentLogger });
  await drive.connect();
  cleanups.push(async () => {
    await http.close();
    await h.close();
  });
  return { root: h.root, writer: drive.writer, stats: () => e.stats(), setFaults: (f: Record<string, number>) => e.setFaults(f), chunk: 20 * MiB };
}

for (const [name, start] of [['onedrive', () => oneDrive()], ['aliyundrive', aliyun]] as const) {
  test(`${name}: an upload cut off part-way resumes from the service's byte and sends only the rest`, async () => {
    const d = await start();
    const data = randomBytes(name === 'onedrive' ? 10 * d.chunk + 12345 : 2 * d.chunk + 777);
    const sessions: UploadSession[] = [];
    const dieAt = name === 'onedrive' ? 6 * d.chunk + 10 : 2 * d.chunk + 10; // 6 fragments / 2 parts arrived
    await assert.rejects(d.writer.upload('/big.bin', source(data, dieAt), { onSession: (s) => sessions.push(s) }), /stopped/);
    const last = sessions.at(-1)!;
    assert.ok(last, 'the writer reported its session');
    const held = name === 'onedrive' ? 6 * d.chunk : 2 * d.chunk;
    if (last.kind === 'aliyundrive') assert.equal(last.partsDone, 2, 'parts done as reported');
    const before = d.stats().uploadBytes ?? 0;
    const src = source(data);
    const entry = await d.writer.resumeUpload!('/big.bin', src, last, {});
    assert.equal(entry.size, data.length);
    assert.ok((await readFile(path.join(d.root, 'big.bin'))).equals(data), 'the committed file is identical');
    assert.equal((d.stats().uploadBytes ?? 0) - before, data.length - held, 'only the bytes the service lacked were sent');
  });

  test(`${name}: a session that expired while the process was down is started again, the file whole`, async () => {
    const d = await start();
    const data = randomBytes(name === 'onedrive' ? 6 * d.chunk + 99 : d.chunk + 5555);
    const sessions: UploadSession[] = [];
    await assert.rejects(d.writer.upload('/exp.bin', source(data, d.chunk + 1), { onSession: (s) => sessions.push(s) }), /stopped/);
    // The lifetime in force when the process comes back counts: 2 s, and it was down longer.
    d.setFaults(name === 'onedrive' ? { uploadSessionTtlSec: 2 } : { uploadTtlSec: 2 });
    await new Promise((r) => setTimeout(r, 2100));
    const before = d.stats().uploadBytes ?? 0;
    const fresh: UploadSession[] = [];
    const entry = await d.writer.resumeUpload!('/exp.bin', source(data), sessions.at(-1)!, { onSession: (s) => fresh.push(s) });
    assert.equal(entry.size, data.length);
    assert.ok((await readFile(path.join(d.root, 'exp.bin'))).equals(data));
    assert.equal((d.stats().uploadBytes ?? 0) - before, data.length, 'everything sent again, in a new session');
    assert.ok(fresh.length > 0, 'the new session was reported');
  });
}
