// QuickXorHash: Microsoft's checksum for OneDrive / SharePoint files
// (file.hashes.quickXorHash, base64 of a 20-byte digest).
//
// The reference algorithm (Microsoft's C# snippet, ported by rclone) keeps a
// 160-bit circular register; byte number k of the input is XORed into it at bit
// offset (k * 11) mod 160, and at the end the 64-bit input length is XORed,
// little-endian, into the last 8 bytes.
//
// Since 11 * 160 ≡ 0 (mod 160), a byte's offset only depends on k mod 160. So we
// first XOR the input into a 160-byte accumulator indexed by k mod 160 (which
// can be done a 32-bit word at a time, no per-bit work on the hot path) and only
// rotate those 160 bytes into the register when the digest is asked for.

const WIDTH_BITS = 160;
const DIGEST_BYTES = 20;
const SHIFT = 11;
const ACC_BYTES = 160; // one slot per value of (byte index mod 160)
const ACC_WORDS = ACC_BYTES / 4;

export class QuickXorHash {
  private readonly acc = new Uint8Array(ACC_BYTES);
  private readonly acc32 = new Uint32Array(this.acc.buffer);
  /** Total bytes hashed so far (also the slot of the next byte, mod 160). */
  private length = 0;
  /** Scratch space used to realign input whose address is not 4-byte aligned. */
  private scratch: Uint8Array | null = null;

  update(buf: Uint8Array): void {
    const n = buf.length;
    if (n === 0) return;
    const acc = this.acc;
    let slot = this.length % ACC_BYTES;
    let i = 0;
    // Head: bytes until the accumulator slot wraps to 0, so whole 160-byte
    // blocks of input line up with the accumulator.
    if (slot !== 0) {
      const head = Math.min(n, ACC_BYTES - slot);
      for (; i < head; i++) acc[slot++] ^= buf[i];
      slot %= ACC_BYTES;
    }
    const blocks = Math.floor((n - i) / ACC_BYTES);
    if (blocks > 0) {
      this.xorBlocks(buf, i, blocks);
      i += blocks * ACC_BYTES;
    }
    // Tail: fewer than 160 bytes left, starting at slot 0.
    for (let s = 0; i < n; i++, s++) acc[s] ^= buf[i];
    this.length += n;
  }

  /** XORs `blocks` whole 160-byte blocks starting at buf[offset] into acc. */
  private xorBlocks(buf: Uint8Array, offset: number, blocks: number): void {
    const acc32 = this.acc32;
    const byteOffset = buf.byteOffset + offset;
    if (byteOffset % 4 === 0) {
      const words = new Uint32Array(buf.buffer, byteOffset, blocks * ACC_WORDS);
      xorWords(acc32, words);
      return;
    }
    // Unaligned view (rare: Buffer slices at odd offsets): copy through an
    // aligned scratch buffer in large pieces; memcpy is far cheaper than a
    // byte-wise loop.
    const PIECE_BLOCKS = 4096; // 640 KiB per copy
    if (!this.scratch) this.scratch = new Uint8Array(PIECE_BLOCKS * ACC_BYTES);
    const scratch = this.scratch;
    let done = 0;
    while (done < blocks) {
      const take = Math.min(PIECE_BLOCKS, blocks - done);
      const start = offset + done * ACC_BYTES;
      scratch.set(buf.subarray(start, start + take * ACC_BYTES));
      xorWords(acc32, new Uint32Array(scratch.buffer, 0, take * ACC_WORDS));
      done += take;
    }
  }

  /** The 20-byte digest of everything hashed so far (the state is kept). */
  digest(): Buffer {
    const out = Buffer.alloc(DIGEST_BYTES);
    const acc = this.acc;
    for (let slot = 0; slot < ACC_BYTES; slot++) {
      const v = acc[slot];
      if (v === 0) continue;
      const bit = (slot * SHIFT) % WIDTH_BITS;
      const byte = bit >> 3;
      const sh = bit & 7;
      out[byte] ^= (v << sh) & 0xff;
      // Bits pushed past this byte go into the next one, wrapping around the
      // 160-bit register (this is the reference's "index2 = 0" case).
      if (sh !== 0) out[(byte + 1) % DIGEST_BYTES] ^= v >> (8 - sh);
    }
    // XOR the 64-bit length, little-endian, into the last 8 bytes.
    let len = this.length;
    for (let k = DIGEST_BYTES - 8; k < DIGEST_BYTES; k++) {
      out[k] ^= len % 256;
      len = Math.floor(len / 256);
    }
    return out;
  }

  digestBase64(): string {
    return this.digest().toString('base64');
  }

  /** Bytes hashed so far. */
  get bytesHashed(): number {
    return this.length;
  }

  /** An independent copy of the running state (hash tentatively, keep or drop). */
  clone(): QuickXorHash {
    const c = new QuickXorHash();
    c.acc.set(this.acc);
    c.length = this.length;
    return c;
  }

  /** Convenience: hash of a single buffer. */
  static of(buf: Uint8Array): string {
    const h = new QuickXorHash();
    h.update(buf);
    return h.digestBase64();
  }
}

/**
 * XORs whole 40-word blocks of `words` into acc32. Word j of every block goes into acc32[j], so
 * the work is split into five passes of eight lanes each: the eight running values stay in
 * registers across all blocks, instead of a load and a store of acc32[j] per input word (about
 * 2.5× faster on V8 than the plain double loop).
 */
function xorWords(acc32: Uint32Array, words: Uint32Array): void {
  const n = words.length;
  for (let g = 0; g < ACC_WORDS; g += 8) {
    let a0 = acc32[g], a1 = acc32[g + 1], a2 = acc32[g + 2], a3 = acc32[g + 3];
    let a4 = acc32[g + 4], a5 = acc32[g + 5], a6 = acc32[g + 6], a7 = acc32[g + 7];
    for (let b = g; b < n; b += ACC_WORDS) {
      a0 ^= words[b]; a1 ^= words[b + 1]; a2 ^= words[b + 2]; a3 ^= words[b + 3];
      a4 ^= words[b + 4]; a5 ^= words[b + 5]; a6 ^= words[b + 6]; a7 ^= words[b + 7];
    }
    acc32[g] = a0; acc32[g + 1] = a1; acc32[g + 2] = a2; acc32[g + 3] = a3;
    acc32[g + 4] = a4; acc32[g + 5] = a5; acc32[g + 6] = a6; acc32[g + 7] = a7;
  }
}
