// The Aliyundrive emulator counts each API's calls under that API's own names (the Open API's
// `getDownloadUrl`, the legacy API's `legacyDownloadUrl`). Suites shared by both drivers name a
// counter as the Open API does; this gives the name the service under test counts it by.

/** Open API counter → the legacy API's counter for the same job (moves and copies are one batch call there). */
const LEGACY: Record<string, string> = {
  api: 'legacyApi',
  token: 'legacyToken',
  list: 'legacyList',
  get: 'legacyGet',
  getDownloadUrl: 'legacyDownloadUrl',
  create: 'legacyCreate',
  getUploadUrl: 'legacyGetUploadUrl',
  listUploadedParts: 'legacyListUploadedParts',
  complete: 'legacyComplete',
  update: 'legacyUpdate',
  move: 'legacyBatch',
  copy: 'legacyBatch',
  trash: 'legacyTrash',
  spaceInfo: 'legacySpaceInfo',
};

/** The emulator's name, for `service`, of the counter the Open API's emulator calls `openName`. */
export function counterName(service: string, openName: string): string {
  return service === 'aliyundrive-legacy' ? (LEGACY[openName] ?? openName) : openName;
}

/** That counter's value in an emulator's stats (0 when it never counted). */
export function counted(service: string, stats: Record<string, number>, openName: string): number {
  return stats[counterName(service, openName)] ?? 0;
}
