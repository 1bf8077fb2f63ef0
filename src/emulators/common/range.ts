// HTTP Range header parsing (RFC 9110 §14) for single byte ranges.

export type RangeResult =
  | { kind: 'full' } // no (usable) Range header: send everything with 200
  | { kind: 'partial'; start: number; end: number } // inclusive end, send 206
  | { kind: 'unsatisfiable' }; // send 416 with Content-Range: bytes */size

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Malformed or multi-range requests may be ignored by a server (RFC 9110
  // §14.2); we do that rather than implement multipart/byteranges.
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  let end = m[2] === '' ? size - 1 : Number(m[2]);
  if (m[2] !== '' && end < start) return { kind: 'full' }; // invalid: ignore
  if (start >= size) return { kind: 'unsatisfiable' };
  if (end >= size) end = size - 1;
  return { kind: 'partial', start, end };
}
