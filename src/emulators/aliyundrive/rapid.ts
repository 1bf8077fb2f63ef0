// Rapid ("instant") upload: the service already holds the bytes, so the
// client only proves it has them too.
//
// 1. create with `size` and `pre_hash` (SHA-1 hex of the first 1024 bytes):
//    if a file of that size with that pre-hash exists (either drive of the
//    user) → error PreHashMatched (409), else a normal upload starts.
// 2. create with content_hash_name "sha1", content_hash (SHA-1 of the whole
//    file), proof_version "v1" and proof_code: r = first 16 hex digits of
//    md5hex(access token of *that* request) as an unsigned 64-bit integer,
//    start = r mod size, end = min(start + 8, size),
//    proof_code = base64(file[start:end]). A known hash with the right proof
//    commits the file at once (rapid_upload: true); a wrong proof is refused
//    with 400 InvalidParameter.ProofCode; an unknown hash starts a normal
//    upload whose bytes must then match content_hash at complete.

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

import type { AliContext } from './context.js';
import type { Item } from './store.js';

/** Files (not folders or live photos) of exactly `size` bytes on the user's drives. */
async function* candidates(ctx: AliContext, size: number): AsyncGenerator<Item> {
  for (const d of new Set([ctx.drives.resource, ctx.drives.backup])) {
    for await (const it of d.walk()) if (it.kind === 'file' && it.size === size) yield it;
  }
}

export async function preHashKnown(ctx: AliContext, size: number, preHash: string): Promise<boolean> {
  const want = preHash.toUpperCase();
  for await (const it of candidates(ctx, size)) if ((await ctx.hashes.pre(it.abs, it.stat)) === want) return true;
  return false;
}

/** A file holding exactly these bytes (size and SHA-1), or null. */
export async function findByContentHash(ctx: AliContext, size: number, contentHash: string): Promise<Item | null> {
  const want = contentHash.toUpperCase();
  for await (const it of candidates(ctx, size)) if ((await ctx.hashes.full(it.abs, it.stat)) === want) return it;
  return null;
}

/** The byte range a v1 proof covers for `accessToken` and a file of `size` bytes. */
export function proofRange(accessToken: string, size: number): { start: number; end: number } {
  if (size === 0) return { start: 0, end: 0 };
  const r = BigInt('0x' + createHash('md5').update(accessToken).digest('hex').slice(0, 16));
  const start = Number(r % BigInt(size));
  return { start, end: Math.min(start + 8, size) };
}

/** The v1 proof_code of the file at `abs` for `accessToken`. */
export async function proofOf(abs: string, size: number, accessToken: string): Promise<string> {
  const { start, end } = proofRange(accessToken, size);
  if (end <= start) return '';
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    return buf.subarray(0, bytesRead).toString('base64');
  } finally {
    await fh.close();
  }
}
