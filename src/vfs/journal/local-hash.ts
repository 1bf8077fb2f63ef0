import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { QuickXorHash } from '../../hash/quickxorhash.js';
import type { DriveCapabilities, RemoteEntry } from '../../drives/types.js';

/**
 * Whether the service's file holds exactly the staged bytes, by the hash the service reports
 * (an upload that finished just before the crash, its record not yet removed). Unknown → false.
 */
export async function sameContent(staged: string, size: number, remote: RemoteEntry, algo: DriveCapabilities['hash']): Promise<boolean> {
  if (remote.isDir || remote.size !== size || !algo) return false;
  const theirs = remote.hashes?.[algo];
  if (!theirs) return false;
  const h = algo === 'quickXor' ? new QuickXorHash() : createHash(algo);
  const fh = await fs.open(staged, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) return false;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  const ours = h instanceof QuickXorHash ? h.digestBase64() : h.digest('hex');
  return algo === 'quickXor' ? ours === theirs : ours.toLowerCase() === theirs.toLowerCase();
}
