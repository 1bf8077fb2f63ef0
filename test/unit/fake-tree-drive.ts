// A drive whose tree is a map of path → entry, for metadata-cache tests.
import type { Drive, RemoteEntry } from '../../src/drives/types.js';
import { DriveError } from '../../src/util/errors.js';

/** The parts of a Drive that metadata tests never use. */
export const metadataOnly = {
  // eslint-disable-next-line require-yield
  async *readRange(): AsyncGenerator<Buffer> {
    throw new Error('unused');
  },
  async quota() {
    return {};
  },
  async about() {
    return { quota: {} };
  },
  async close() {},
};

/** A drive whose tree is a map of path → entry, counting calls. */
export function fakeDrive(tree: Record<string, RemoteEntry>, pathLookup = true) {
  const calls = { stat: 0, list: 0 };
  const drive = {
    name: 'fake',
    capabilities: { caseInsensitive: true, linksInListing: false, pathLookup },
    async connect() {},
    async stat(p: string) {
      calls.stat++;
      const e = tree[p];
      if (!e) throw new DriveError('ENOENT', p);
      return e;
    },
    async list(p: string) {
      calls.list++;
      const prefix = p === '/' ? '/' : p + '/';
      return Object.entries(tree)
        .filter(([k]) => k !== '/' && k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
        .map(([, e]) => e);
    },
    ...metadataOnly,
  } satisfies Drive;
  return { drive, calls };
}
