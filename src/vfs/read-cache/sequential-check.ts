import { createHash, type Hash } from 'node:crypto';
import type { RemoteEntry } from '../../drives/types.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';

interface Hasher {
  update(b: Uint8Array): void;
  matches(): boolean;
}

/** A read of this handle between its start and its answer. */
interface InFlight {
  pos: number;
  end: number;
  /** Resolves once the read's bytes were hashed (or it gave up). */
  done: Promise<void>;
  finish: () => void;
}

/**
 * Checks one handle's reading against the content hash the service reports: the bytes handed to
 * the reader are hashed in file order, and once the whole file was read the digest must match.
 * The kernel's read-ahead sends several reads at once, and they complete out of order: a read
 * whose bytes lie ahead of the hashed position waits (before it answers, so no copy of libfuse's
 * buffer is kept) for the read in flight that covers the gap. With no such read the handle is
 * not reading the file in order and is not checked.
 */
export class SequentialCheck {
  private hashed = 0;
  private readonly inflight = new Set<InFlight>();
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

  /** A read of [pos, pos + len) starts; pass the token to `observe` (or `cancel`) when its bytes are there. */
  begin(pos: number, len: number): InFlight | undefined {
    if (this.abandoned || this.result !== undefined) return undefined;
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const r: InFlight = { pos, end: pos + len, done, finish };
    this.inflight.add(r);
    return r;
  }

  cancel(r: InFlight): void {
    this.inflight.delete(r);
    r.finish();
  }

  /** `buf` holds the bytes [r.pos, r.pos + buf.length) about to be handed over. False: the file is complete and its hash differs. */
  async observe(r: InFlight, buf: Buffer): Promise<boolean> {
    try {
      while (!this.abandoned && r.pos > this.hashed) {
        const gap = [...this.inflight].find((o) => o !== r && o.pos <= this.hashed && this.hashed < o.end);
        if (!gap) this.abandoned = true; // a hole nobody is reading: not an in-order read of the file
        else await gap.done;
      }
      if (this.abandoned || this.result !== undefined) return this.result !== false;
      const end = r.pos + buf.length;
      if (end > this.hashed) {
        this.hasher.update(buf.subarray(this.hashed - r.pos));
        this.hashed = end;
      }
      if (this.hashed >= this.size) this.result = this.hasher.matches();
      return this.result !== false;
    } finally {
      this.cancel(r);
    }
  }
}

function digestHasher(h: Hash, want: string): Hasher {
  return { update: (b) => h.update(b), matches: () => h.digest('hex') === want };
}
