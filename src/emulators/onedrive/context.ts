// Everything a request handler needs, gathered in one object built by
// startOneDriveEmulator() (keeps handlers free of module-level state, so
// several emulators can run in one process, e.g. in tests).

import type { EveryN, NumericSettings } from '../common/faults.js';
import type { Stats } from '../common/stats.js';
import type { AuthState } from './auth.js';
import type { LinkSigner } from './download.js';
import type { HashCache } from './hashes.js';
import type { OneDriveFaults } from './settings.js';
import type { DriveStore } from './store.js';
import type { UploadManager } from './uploads.js';
import type { CopyMonitor } from './copy.js';
import type { DeviceCodes } from './device-code.js';
import type { Site } from './sites.js';

export interface EmulatorContext {
  /** Base URL (no trailing slash), known once the server listens. */
  url: string;
  faults: NumericSettings<OneDriveFaults>;
  stats: Stats;
  auth: AuthState;
  links: LinkSigner;
  hashes: HashCache;
  /** /me/drive */
  me: DriveStore;
  /** driveId → drive (all drives, including /me/drive) */
  drivesById: Map<string, DriveStore>;
  /** siteId → its document library */
  drivesBySite: Map<string, DriveStore>;
  /** siteId → the SharePoint site (address, name, library) */
  sites: Map<string, Site>;
  /** Pending device-code logins (device-code.ts). */
  deviceCodes: DeviceCodes;
  counters: {
    throttle: EveryN;
    cutDownload: EveryN;
    failFragment: EveryN;
    cutFragment: EveryN;
    failMove: EveryN;
  };
  uploads: UploadManager;
  copies: CopyMonitor;
}
