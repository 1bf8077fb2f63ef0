// Rules OneDrive applies to names and paths of new items, and the
// conflictBehavior values (fail | replace | rename) with Graph's renaming
// scheme ("name 1.ext", "name 2.ext", ...).

import { GraphError, invalidRequest } from './errors.js';
import { foldName } from './store.js';

export type ConflictBehavior = 'fail' | 'replace' | 'rename';

const BAD_CHARS = /["*:<>?/\\|]/;
const RESERVED = new Set(['.LOCK', 'CON', 'PRN', 'AUX', 'NUL', 'DESKTOP.INI']);
const RESERVED_NUMBERED = /^(COM|LPT)[0-9]$/;
export const MAX_PATH_CHARS = 400;

/** Why OneDrive would refuse `name`, or null when it is acceptable. */
export function nameProblem(name: string): string | null {
  if (name === '') return 'The name is empty.';
  if (BAD_CHARS.test(name)) return `The name '${name}' contains a character that is not allowed (" * : < > ? / \\ |).`;
  if (name.startsWith(' ') || name.endsWith(' ')) return `The name '${name}' begins or ends with a space.`;
  if (name.endsWith('.')) return `The name '${name}' ends with a period.`;
  const upper = foldName(name);
  if (RESERVED.has(upper) || RESERVED_NUMBERED.test(upper)) return `The name '${name}' is reserved.`;
  if (upper.includes('_VTI_')) return `The name '${name}' contains '_vti_', which is not allowed.`;
  return null;
}

export function checkName(name: string): void {
  const problem = nameProblem(name);
  if (problem) throw invalidRequest(problem, 'invalidName');
}

/** `rel` is the on-disk path below the drive root ('' for the root). */
export function checkPathLength(rel: string): void {
  const full = `/${rel}`;
  if (full.length >= MAX_PATH_CHARS) {
    throw new GraphError(400, 'pathIsTooLong', `The path is ${full.length} characters long; it must be under ${MAX_PATH_CHARS}.`);
  }
}

export function parseConflictBehavior(value: unknown, fallback: ConflictBehavior): ConflictBehavior {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === 'fail' || value === 'replace' || value === 'rename') return value;
  throw invalidRequest(`Invalid value '${String(value)}' for @microsoft.graph.conflictBehavior.`);
}

/** "a.txt" → "a 1.txt", "a 2.txt", … (first one not in `taken`, compared case-insensitively). */
export function uniqueName(name: string, taken: Iterable<string>): string {
  const folded = new Set<string>();
  for (const t of taken) folded.add(foldName(t));
  if (!folded.has(foldName(name))) return name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let n = 1; ; n++) {
    const candidate = `${stem} ${n}${ext}`;
    if (!folded.has(foldName(candidate))) return candidate;
  }
}
