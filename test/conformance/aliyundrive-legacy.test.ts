// The conformance suite against the Aliyundrive legacy driver and the emulator's legacy API, in-process.

import { startAliyundriveEmulator } from '../../src/emulators/aliyundrive/server.js';
import { runDriveConformance } from './drive-conformance.js';
import { emulatedTarget } from './emulated-target.js';

const MiB = 1 << 20;

const legacyTarget = () => emulatedTarget('aliyundrive-legacy', (root) => startAliyundriveEmulator({ root, tokenKind: 'legacy' }));

runDriveConformance('aliyundrive-legacy', legacyTarget, {
  listPageSize: 200, // the driver asks for limit=200, the legacy listing's largest page
  largeUploadBytes: 11 * MiB, // parts are 10 MiB: two parts
  largeUploadRequests: { stat: 'uploadPart', count: 2 },
  refusedNames: [],
  acceptedNames: ['bad:name', 'CON', 'a?b', 'trailing.', 'ünïcødé.txt'],
  keepsClientTimes: false,
  caseInsensitive: false,
  fileAsFolder: 'ENOENT',
});
