import { createHash, type Hash } from 'node:crypto';
import type { RemoteEntry } from '../../drives/types.js';
import { QuickXorHash } from '../../hash/quickxorhash.js';
import { AsideBuffers } from './aside-buffers.js';

interface Hasher {
  update(b: Uint8Array): void;
  matches(): boolean;
}

/**
 * Bytes kept aside for reads ahead of an unread gap. The kernel has at most its read-ahead
 * window (16 MiB) in flight; a handle that jumps further ahead than this is not reading in order.
 */
const MAX_AHEAD_BYTES = 16 << 20;

/** Shared by all handles: 32 idle slots (4 MiB) cover the usual race of a few reads. */
const asidePool = new AsideBuffers(32);

/** A read of this handle between its start and its answer. */
interface InFlight {
  pos: number;
  end: number;
  /**
   * Reads waiting for this one's bytes to be hashed (or for it to give up). Made only when a read
   * races ahead of it, which is rare: no promise per read otherwise.
   */
  waiters?: (() => void)[];
}

/**
 * Checks one handle's reading against the content hash the service reports: the bytes handed to
 * the reader are hashed in file order, and once the whole file was read the digest must match.
 * The kernel's read-ahead sends several reads at once, and they complete out of order: a read
 * whose bytes lie ahead of the hashed position waits (before it answers, so no copy of libfuse's
 * buffer is kept) for the read in flight that covers the gap. libfuse's threads may also hand
 * the reads over out of order, so a read ahead of a gap nobody reads yet is copied aside (rare,
 * bounded) until the gap is read; past the bound the handle is not reading the file in order
 * and is not checked.
 */
export class SequentialCheck {
  private hashed = 0;
  private readonly inflight = new Set<InFlight>();
  /** Copies of reads that arrived ahead of a gap no read was covering yet, by position. */
  private ahead: { pos: number; bytes: Buffer }[] = [];
  private aheadBytes = 0;
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
    const r: InFlight = { pos, end: pos + len };
    this.inflight.add(r);
    return r;
  }

  cancel(r: InFlight): void {
    this.inflight.delete(r);
    const ws = r.waiters;
    r.waiters = undefined;
    if (ws) for (const w of ws) w();
  }

  /** `buf` holds the bytes [r.pos, r.pos + buf.length) about to be handed over. False: the file is complete and its hash differs. */
  async observe(r: InFlight, buf: Buffer): Promise<boolean> {
    try {
      while (!this.abandoned && this.result === undefined && r.pos > this.hashed) {
        const gap = [...this.inflight].find((o) => o !== r && o.pos <= this.hashed && this.hashed < o.end);
        if (gap) {
          await new Promise<void>((resolve) => (gap.waiters ??= []).push(resolve));
          continue;
        }
        // Nobody reads the gap yet: keep a copy until somebody does (or give up past the bound).
        if (this.aheadBytes + buf.length > MAX_AHEAD_BYTES) this.abandon();
        else {
          this.ahead.push({ pos: r.pos, bytes: asidePool.copyOf(buf) });
          this.aheadBytes += buf.length;
        }
        return true;
      }
      if (this.abandoned || this.result !== undefined) return this.result !== false;
      this.hash(r.pos, buf);
      this.drainAhead();
      if (this.hashed >= this.size) {
        this.result = this.hasher.matches();
        this.dropAhead();
      }
      return this.result !== false;
    } finally {
      this.cancel(r);
    }
  }

  private hash(pos: number, buf: Buffer): void {
    const end = pos + buf.length;
    if (pos > this.hashed || end <= this.hashed) return;
    this.hasher.update(buf.subarray(this.hashed - pos));
    this.hashed = end;
  }

  /** Copies that now continue the hashed bytes are hashed; those wholly behind are let go. */
  private drainAhead(): void {
    while (this.ahead.length > 0) {
      const next = this.ahead.find((p) => p.pos <= this.hashed);
      if (!next) return;
      this.ahead.splice(this.ahead.indexOf(next), 1);
      this.aheadBytes -= next.bytes.length;
      this.hash(next.pos, next.bytes);
      asidePool.give(next.bytes);
    }
  }

  private abandon(): void {
    this.abandoned = true;
    this.dropAhead();
  }

  private dropAhead(): void {
    for (const p of this.ahead) asidePool.give(p.bytes);
    this.ahead = [];
    this.aheadBytes = 0;
  }
}

function digestHasher(h: Hash, want: string): Hasher {
  return { update: (b) => h.update(b), matches: () => h.digest('hex') === want };
}
