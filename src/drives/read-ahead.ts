import type { UploadSource } from './types.js';

/**
 * Reads an upload's source in consecutive pieces, the next piece read (and digested) while the
 * caller sends the current one: disk reads and hashing overlap the network instead of following
 * it. Memory: two pieces. A buffer returned by `read` stays valid until the next `read`.
 */
export class ReadAhead {
  private readonly bufs: Buffer[] = [];
  private turn = 0;
  private next?: { offset: number; length: number; got: Promise<Buffer> };

  constructor(
    private readonly src: UploadSource,
    private readonly pieceSize: number,
    /** Sees every piece as it is read, in file order (a piece read twice is seen twice). */
    private readonly digest?: (piece: Buffer, offset: number) => void,
  ) {}

  /** `length` bytes at `offset`; then starts on the `length` bytes after them. */
  async read(offset: number, length: number): Promise<Buffer> {
    let got: Promise<Buffer>;
    const ahead = this.next;
    this.next = undefined;
    if (ahead && ahead.offset === offset && ahead.length === length) got = ahead.got;
    else {
      // Not the piece read ahead (a resume moved the offset): let that read finish, so it no
      // longer writes into a buffer this one may be given.
      await ahead?.got.catch(() => undefined);
      got = this.load(offset, length);
    }
    const piece = await got;
    const following = offset + length;
    if (piece.length === length && following < this.src.size) {
      const len = Math.min(length, this.src.size - following);
      const n = { offset: following, length: len, got: this.load(following, len) };
      n.got.catch(() => undefined); // a failure is seen by the read that asks for it
      this.next = n;
    }
    return piece;
  }

  /** Wait for a read started ahead (before the source is closed). */
  async settle(): Promise<void> {
    await this.next?.got.catch(() => undefined);
    this.next = undefined;
  }

  private async load(offset: number, length: number): Promise<Buffer> {
    const i = this.turn;
    this.turn ^= 1;
    if (!this.bufs[i] || this.bufs[i]!.length < length) this.bufs[i] = Buffer.allocUnsafe(Math.max(length, Math.min(this.pieceSize, this.src.size)));
    const piece = await this.src.read(offset, length, this.bufs[i]);
    this.digest?.(piece, offset);
    return piece;
  }
}
