// The conformance suite against the OneDrive driver and the Graph emulator, in-process.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { createDrive } from '../../src/drives/create-drive.js';
import { remoteSettingsFor } from '../../src/emulators/emulator-process.js';
import { startOneDriveEmulator } from '../../src/emulators/onedrive/server.js';
import { HttpClient } from '../../src/http/client.js';
import { silentLogger } from '../../src/util/log.js';
import { backingFolder } from './backing-folder.js';
import { runDriveConformance, type ConformanceTarget } from './drive-conformance.js';

const MiB = 1 << 20;
/** Upload fragments of 10 × 320 KiB: a 9 MiB file takes three, past the 4 MiB simple-upload limit. */
const CHUNK = 10 * 320 * 1024;

async function oneDriveTarget(): Promise<ConformanceTarget> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-conf-od-'));
  const emu = await startOneDriveEmulator({ root });
  const http = new HttpClient({ logger: silentLogger });
  const settings = remoteSettingsFor('onedrive', { url: emu.url, port: emu.port, clientId: emu.clientId, clientSecret: emu.clientSecret, refreshToken: emu.refreshToken });
  const drive = createDrive('conformance', settings, { http, store: memoryRefreshTokenStore(emu.refreshToken), log: silentLogger }, { chunkSize: CHUNK });
  await drive.connect();
  return {
    drive,
    ...backingFolder(root),
    stats: () => emu.stats(),
    async close() {
      await drive.close();
      await http.close();
      await emu.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

runDriveConformance('onedrive', oneDriveTarget, {
  listPageSize: 1000, // the driver asks for $top=1000, the emulator's (and Graph's) largest page
  largeUploadBytes: 9 * MiB,
  largeUploadRequests: { stat: 'upload', count: 3 }, // fragments of 3.2 MiB
  refusedNames: ['bad:name', 'CON', 'con.txt', 'a?b', 'trailing.', ' lead', 'desktop.ini', 'x_vti_y'],
  acceptedNames: ['plain.txt', 'with space.txt', 'ünïcødé.txt'],
  keepsClientTimes: true,
  caseInsensitive: true,
  fileAsFolder: 'ENOENT', // Graph answers itemNotFound for a path through a file
});
