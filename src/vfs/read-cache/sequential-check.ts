import { createHash, type Hash } from 'node:crypto';
import type { RemoteEntry } from '../../drives/types.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';

/**
 * Bytes kept from reads that arrived ahead of the hashed position (the kernel's read-ahead runs
 * several requests at once, so reads come slightly out of order). Past it the check gives up for
 * this handle: that is not one sequential read of the file.
 */
const MAX_PENDING = 16 << 20;

interface Hasher {
  update(b: Uint8Array): void;
  matches(): boolean;
}

/**
 * Checks one handle's reading against the content hash the service reports: the bytes handed to
 * the reader are hashed in file order, and once the whole file was read the digest must match.
 * Only a read of every byte from the start counts; a handle that skips about is not checked.
 */
export class SequentialCheck {
  private hashed = 0;
  private pending = new Map<number, Buffer>();
  private pendingBytes = 0;
  private abandoned = false;
  /** Set once the whole file was hashed: whether it matched. */
  result?: boolean;

  private constructor(private readonly size: number, private readonly hasher: Hasher, readonly algorithm: string) {}

  /** A check for this entry, if the service reports a hash this program can compute. */
  static for(entry: RemoteEntry): SequentialCheck | undefined {
    const h = entry.hashes;
    if (entry.size <= 0 || !h) return undefined;
    if (h.quickXor) {
      const q = new QuickXorHash();
      const want = h.quickXor;
      return new SequentialCheck(entry.size, { update: (b) => q.update(b), matches: () => q.digestBase64() === want }, 'QuickXorHash');
    }
    if (h.sha1) return new SequentialCheck(entry.size, digestHasher(createHash('sha1'), h.sha1.toLowerCase()), 'SHA-1');
    if (h.sha256) return new SequentialCheck(entry.size, digestHasher(createHash('sha256'), h.sha256.toLowerCase()), 'SHA-256');
    return undefined;
  }

  /** `buf` holds the file's bytes [pos, pos + buf.length) as handed to the reader. False: the file is complete and its hash differs. */
  observe(buf: Buffer, pos: number): boolean {
    if (this.abandoned || this.result !== undefined || buf.length === 0) return this.result !== false;
    const end = pos + buf.length;
    if (end <= this.hashed) return true; // read again: hashed already
    if (pos > this.hashed) {
      if (this.pending.has(pos) || this.pendingBytes + buf.length > MAX_PENDING) return this.abandon();
      this.pending.set(pos, Buffer.from(buf)); // the caller's buffer is libfuse's: copy what we keep
      this.pendingBytes += buf.length;
      return true;
    }
    this.feed(buf.subarray(this.hashed - pos));
    // Pieces that arrived early and now join the hashed part (or lie wholly behind it).
    for (let joined = true; joined && this.pending.size > 0; ) {
      joined = false;
      for (const [p, b] of this.pending) {
        if (p > this.hashed) continue;
        this.pending.delete(p);
        this.pendingBytes -= b.length;
        if (p + b.length > this.hashed) this.feed(b.subarray(this.hashed - p));
        joined = true;
      }
    }
    if (this.hashed >= this.size) this.result = this.hasher.matches();
    return this.result !== false;
  }

  private feed(b: Buffer): void {
    this.hasher.update(b);
    this.hashed += b.length;
  }

  private abandon(): boolean {
    this.abandoned = true;
    this.pending.clear();
    this.pendingBytes = 0;
    return true;
  }
}

function digestHasher(h: Hash, want: string): Hasher {
  return { update: (b) => h.update(b), matches: () => h.digest('hex') === want };
}
