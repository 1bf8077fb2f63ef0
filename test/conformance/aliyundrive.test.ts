// The conformance suite against the Aliyundrive driver and its Open API emulator, in-process.

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { createDrive } from '../../src/drives/create-drive.js';
import { startAliyunEmulator } from '../../src/emulators/aliyundrive/server.js';
import { remoteSettingsFor } from '../../src/emulators/emulator-process.js';
import { HttpClient } from '../../src/http/client.js';
import { silentLogger } from '../../src/util/log.js';
import { backingFolder } from './backing-folder.js';
import { runDriveConformance, type ConformanceTarget } from './drive-conformance.js';

const MiB = 1 << 20;

async function aliyunTarget(): Promise<ConformanceTarget> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-conf-ali-'));
  const emu = await startAliyunEmulator({ root });
  const http = new HttpClient({ logger: silentLogger });
  const settings = remoteSettingsFor('aliyundrive', { url: emu.url, port: emu.port, clientId: emu.clientId, clientSecret: emu.clientSecret, refreshToken: emu.refreshToken });
  const drive = createDrive('conformance', settings, { http, store: memoryRefreshTokenStore(emu.refreshToken), log: silentLogger });
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

runDriveConformance('aliyundrive', aliyunTarget, {
  listPageSize: 100, // the driver asks for limit=100, the service's largest page
  largeUploadBytes: 21 * MiB, // parts are 20 MiB: two parts
  largeUploadRequests: { stat: 'uploadPart', count: 2 },
  refusedNames: [], // the Open API documents no refused names
  acceptedNames: ['bad:name', 'CON', 'a?b', 'trailing.', 'ünïcødé.txt'],
  keepsClientTimes: false,
  caseInsensitive: false,
  fileAsFolder: 'ENOENT', // the listing below a file id answers NotFound.FileId
});
