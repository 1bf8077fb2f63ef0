import type { RemoteEntry } from '../types.js';
import { toEntry, type AliyundriveFile, type ListAnswer } from './files.js';

/**
 * Every item of a folder, page after page (`next_marker` "" or absent ends it). The service
 * allows two items of one name; a path can show only one: the newest (by modification time).
 * `present` maps a file object to its entry (the Open driver's live photos differ).
 */
export async function collectPages(
  fetchPage: (marker: string) => Promise<ListAnswer>,
  present: (f: AliyundriveFile) => RemoteEntry = toEntry,
): Promise<RemoteEntry[]> {
  const byName = new Map<string, RemoteEntry>();
  let marker = '';
  do {
    const page = await fetchPage(marker);
    for (const f of page.items ?? []) {
      const entry = present(f);
      const seen = byName.get(entry.name);
      if (!seen || entry.mtimeMs > seen.mtimeMs) byName.set(entry.name, entry);
    }
    marker = page.next_marker ?? '';
  } while (marker);
  return [...byName.values()];
}
