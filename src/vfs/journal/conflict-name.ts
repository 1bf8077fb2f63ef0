import { splitPath } from '../../util/posix-path.js';

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Where our bytes go when the service's file changed since we read it: beside it, as
 * `name (conflict YYYY-MM-DD HHMMSS).ext` (UTC), `.ext` being what follows the last dot (none for
 * `.bashrc`). `taken` says whether a name is in use; a second conflict in the same second gets " 2", " 3"...
 */
export async function conflictPath(path: string, at: Date, taken: (p: string) => Promise<boolean>): Promise<string> {
  const { parent, name } = splitPath(path);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const stamp = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
  for (let i = 1; ; i++) {
    const candidate = `${parent === '/' ? '' : parent}/${stem} (conflict ${stamp}${i > 1 ? ` ${i}` : ''})${ext}`;
    if (!(await taken(candidate))) return candidate;
  }
}
