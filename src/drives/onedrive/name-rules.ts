import { DriveError } from '../../util/errors.js';
import { baseName } from '../../util/posix-path.js';

/**
 * Names OneDrive refuses (docs/services/onedrive.md, "Names the service refuses").
 * drivemount refuses them with EINVAL before writing anything, rather than mapping them to
 * look-alike characters: a name then means the same thing on every client of the drive.
 */
const BAD_CHARS = /["*:<>?\\|]/;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
/** Graph counts the whole path from the drive root. */
export const MAX_PATH_CHARS = 400;
/** Graph's largest file. */
export const MAX_FILE_BYTES = 250 * 1000 ** 3;

export function nameProblem(name: string): string | undefined {
  if (BAD_CHARS.test(name)) return 'contains one of " * : < > ? \\ |';
  if (name !== name.trim()) return 'starts or ends with a space';
  if (name.endsWith('.')) return 'ends with a dot';
  if (name.toLowerCase() === '.lock' || name.toLowerCase() === 'desktop.ini') return 'is a reserved name';
  if (RESERVED.test(name)) return 'is a reserved device name';
  if (name.toLowerCase().includes('_vti_')) return 'contains "_vti_"';
  return undefined;
}

/** Check every new name on `drivePath` (the full path from the drive root). */
export function checkDrivePath(drivePath: string, shownPath: string): void {
  if (drivePath.length >= MAX_PATH_CHARS) {
    throw new DriveError('ENAMETOOLONG', `${shownPath}: OneDrive allows paths under ${MAX_PATH_CHARS} characters (this one has ${drivePath.length})`);
  }
  const name = baseName(drivePath);
  const problem = nameProblem(name);
  if (problem) throw new DriveError('EINVAL', `${shownPath}: OneDrive refuses this name: it ${problem}`);
}
