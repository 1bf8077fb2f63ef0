// The conformance suite against the Aliyundrive driver and its Open API emulator, in-process.

import { startAliyundriveEmulator } from '../../src/emulators/aliyundrive/server.js';
import { runDriveConformance } from './drive-conformance.js';
import { emulatedTarget } from './emulated-target.js';

const MiB = 1 << 20;

const aliyundriveTarget = () => emulatedTarget('aliyundrive', (root) => startAliyundriveEmulator({ root }));

runDriveConformance('aliyundrive', aliyundriveTarget, {
  listPageSize: 100, // the driver asks for limit=100, the service's largest page
  largeUploadBytes: 21 * MiB, // parts are 20 MiB: two parts
  largeUploadRequests: { stat: 'uploadPart', count: 2 },
  refusedNames: [], // the Open API documents no refused names
  acceptedNames: ['bad:name', 'CON', 'a?b', 'trailing.', 'ünïcødé.txt'],
  keepsClientTimes: false,
  caseInsensitive: false,
  fileAsFolder: 'ENOENT', // the listing below a file id answers NotFound.FileId
});
