// The conformance suite against the OneDrive driver and the Graph emulator, in-process.

import { startOneDriveEmulator } from '../../src/emulators/onedrive/server.js';
import { runDriveConformance } from './drive-conformance.js';
import { emulatedTarget } from './emulated-target.js';

const MiB = 1 << 20;
/** Upload fragments of 10 × 320 KiB: a 9 MiB file takes three, past the 4 MiB simple-upload limit. */
const CHUNK = 10 * 320 * 1024;

const oneDriveTarget = () => emulatedTarget('onedrive', (root) => startOneDriveEmulator({ root }), { chunkSize: CHUNK });

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
