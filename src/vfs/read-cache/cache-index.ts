import { promises as fs } from 'node:fs';
import path from 'node:path';

/** What the index remembers of one cached item: which version of it the data file holds, and where. */
export interface IndexRecord {
  id: string;
  version: string;
  size: number;
  spans: [number, number][];
  lastUsed: number;
  /** The data file's name in the cache folder. */
  file: string;
}

interface IndexFile {
  format: 1;
  items: IndexRecord[];
}

const NAME = 'index.json';

/**
 * The cache's table of contents on disk, so a restart keeps what was read. Written whole, to a
 * temporary name then renamed, so a crash leaves the old or the new index, never half of one.
 * Spans are recorded only after their bytes were written, so the index never claims bytes the
 * data file lacks (bytes written but not yet recorded are merely fetched again).
 */
export async function loadIndex(dir: string): Promise<IndexRecord[]> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, NAME), 'utf8')) as IndexFile;
    if (parsed.format !== 1 || !Array.isArray(parsed.items)) return [];
    return parsed.items.filter(validRecord);
  } catch {
    return []; // none yet, or unreadable: start empty (data files without a record are removed)
  }
}

export async function saveIndex(dir: string, items: IndexRecord[]): Promise<void> {
  const tmp = path.join(dir, `${NAME}.tmp`);
  await fs.writeFile(tmp, JSON.stringify({ format: 1, items } satisfies IndexFile));
  await fs.rename(tmp, path.join(dir, NAME));
}

export const INDEX_FILES = new Set([NAME, `${NAME}.tmp`]);

function validRecord(r: IndexRecord): boolean {
  return (
    typeof r?.id === 'string' && typeof r.version === 'string' && typeof r.file === 'string' && /^[0-9a-f]+\.data$/.test(r.file) &&
    Number.isSafeInteger(r.size) && Array.isArray(r.spans) &&
    r.spans.every((s) => Array.isArray(s) && Number.isSafeInteger(s[0]) && Number.isSafeInteger(s[1]) && s[0] >= 0 && s[1] <= r.size)
  );
}
