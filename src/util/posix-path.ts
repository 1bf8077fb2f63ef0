/**
 * Absolute POSIX paths as the mount and the drives use them ("/", "/a/b"). One place for the
 * string arithmetic so every layer agrees on what the parent of "/a" is ("/").
 */

/** "/a/b" → { parent: "/a", name: "b" }; "/a" → { parent: "/", name: "a" }. */
export function splitPath(path: string): { parent: string; name: string } {
  const i = path.lastIndexOf('/');
  return { parent: i <= 0 ? '/' : path.slice(0, i), name: path.slice(i + 1) };
}

export function parentOf(path: string): string {
  return splitPath(path).parent;
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Resolves "." and "..", drops empty segments, and always starts with "/". */
export function normalizePosix(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (!seg || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

export function joinPosix(a: string, b: string): string {
  return normalizePosix(`${a}/${b}`);
}
