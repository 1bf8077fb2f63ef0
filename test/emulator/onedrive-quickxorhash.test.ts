// QuickXorHash against the published test vectors (rclone's
// backend/onedrive/quickxorhash tests, generated from Microsoft's reference
// implementation) and against a straightforward bit-by-bit port of the
// reference algorithm on random data, fed in many different chunkings.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { QuickXorHash } from '../../src/hash/quickxorhash.js';

// [input (base64), expected digest (base64)]
const VECTORS: Array<[string, string]> = [
  ['', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
  ['Sg==', 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
  ['tbQ=', 'taAFAAAAAAAAAAAAAgAAAAAAAAA='],
  ['0pZP', '0rDEEwAAAAAAAAAAAwAAAAAAAAA='],
  ['jRRDVA==', 'jaDAEKgAAAAAAAAABAAAAAAAAAA='],
  ['eAV52qE=', 'eChAHrQRCgAAAAAABQAAAAAAAAA='],
  ['luBZlaT6', 'lgBHFipBCn0AAAAABgAAAAAAAAA='],
  ['qaApEj66lw==', 'qQBFCiTgA11cAgAABwAAAAAAAAA='],
  ['/aNzzCFPS/A=', '/RjFHJgRgicsAR4ACAAAAAAAAAA='],
  ['n6Neh7p6fFgm', 'nxiFFw6hCz3wAQsmCQAAAAAAAAA='],
  ['J9iPGCbfZSTNyw==', 'J8DGIzBggm+UgQTNUgYAAAAAAAA='],
  ['i+UZyUGJKh+ISbk=', 'iyhHBpIRhESo4AOIQ0IuAAAAAAA='],
  ['h490d57Pqz5q2rtT', 'h3gEHe7giWeswgdq3MYupgAAAAA='],
  ['vPgoDjOfO6fm71RxLw==', 'vMAHChwwg0/s4BTmdQcV4vACAAA='],
  ['XoJ1AsoR4fDYJrDqYs4=', 'XhBEHQSgjAiEAx7YPgEs1CEGZwA='],
  ['gQaybEqS/4UlDc8e4IJm', 'gDCALNigBEn8oxAlZ8AzPAAOQZg='],
  ['2fuxhBJXtpWFe8dOfdGeHw==', 'O9tHLAghgSvYohKFyMMxnNCHaHg='],
  ['XBV6YKU9V7yMakZnFIxIkuU=', 'HbplHsBQih5cgReMQYMRzkABRiA='],
  ['XJZSOiNO2bmfKnTKD7fztcQX', '/6ZArHQwAidkIxefQgEdlPGAW8w='],
  ['g8VtAh+2Kf4k0kY5tzji2i2zmA==', 'wDNrgwHWAVukwB8kg4YRcnALHIg='],
  ['T6LYJIfDh81JrAK309H2JMJTXis=', 'zBTHrspn3mEcohlJdIUAbjGNaNg='],
  ['DWAAX5/CIfrmErgZa8ot6ZraeSbu', 'LR2Z0PjuRYGKQB/mhQAuMrAGZbQ='],
  ['NbYXsp5/K6mR+NmHwExjvWeWDJFnXTKWVlzYHoesp2E=', 'wjuAuWDiq04qDt1R8hHWDDcwVoQ='],
  ['qQ70RB++JAR5ljNv3lJt1PpqETPsckopfonItu18Cr3E', 'FkJaeg/0Z5+euShYlLpE2tJh+Lo='],
  [
    'Mb7EGva2rEE5fENDL85P+BsapHEEjv2/siVhKjvAQe02feExVOQSkfmuYzU/kTF1MaKjPmKF/w+cbvwfdWL8aQ==',
    'n1anP5NfvD4XDYWIeRPW3ZkPv1Y=',
  ],
  [
    'jyibxJSzO6ZiZ0O1qe3tG/bvIAYssvukh9suIT5wEy1JBINVgPiqdsTW0cOpP0aUfP7mgqLfADkzI/m/GgCuVhr8oFLrOCoTx1/psBOWwhltCbhUx51Icm9aH8tY4Z3ccU+6BKpYQkLCy0B/A9Zc',
    'hZfLIilSITC6N3e3tQ/iSgEzkto=',
  ],
  [
    'ikwCorI7PKWz17EI50jZCGbV9JU2E8bXVfxNMg5zdmqSZ2NlsQPp0kqYIPjzwTg1MBtfWPg53k0h0P2naJNEVgrqpoHTfV2b3pJ4m0zYPTJmUX4Bg/lOxcnCxAYKU29Y5F0U8Quz7ZXFBEweftXxJ7RS4r6N7BzJrPsLhY7hgck=',
    'imAoFvCWlDn4yVw3/oq1PDbbm6U=',
  ],
  [
    'PfxMcUd0vIW6VbHG/uj/Y0W6qEoKmyBD0nYebEKazKaKG+UaDqBEcmQjbfQeVnVLuodMoPp7P7TR1htX5n2VnkHh22xDyoJ8C/ZQKiSNqQfXvh83judf4RVr9exJCud8Uvgip6aVZTaPrJHVjQhMCp/dEnGvqg0oN5OVkM2qqAXvA0teKUDhgNM71sDBVBCGXxNOR2bpbD1iM4dnuT0ey4L+loXEHTL0fqMeUcEi2asgImnlNakwenDzz0x57aBwyq3AspCFGB1ncX4yYCr/OaCcS5OKi/00WH+wNQU3',
    'QX/YEpG0gDsmhEpCdWhsxDzsfVE=',
  ],
  [
    'qwGf2ESubE5jOUHHyc94ORczFYYbc2OmEzo+hBIyzJiNwAzC8PvJqtTzwkWkSslgHFGWQZR2BV5+uYTrYT7HVwRM40vqfj0dBgeDENyTenIOL1LHkjtDKoXEnQ0mXAHoJ8PjbNC93zi5TovVRXTNzfGEs5dpWVqxUzb5lc7dwkyvOluBw482mQ4xrzYyIY1t+//OrNi1ObGXuUw2jBQOFfJVj2Y6BOyYmfB1y36eBxi3zxeG5d5NYjm2GSh6e08QMAwu3zrINcqIzLOuNIiGXBtl7DjKt7b5wqi4oFiRpZsCyx2smhSrdrtK/CkdU6nDN+34vSR/M8rZpWQdBE7a8g==',
    'WYT9JY3JIo/pEBp+tIM6Gt2nyTM=',
  ],
  [
    'w0LGhqU1WXFbdavqDE4kAjEzWLGGzmTNikzqnsiXHx2KRReKVTxkv27u3UcEz9+lbMvYl4xFf2Z4aE1xRBBNd1Ke5C0zToSaYw5o4B/7X99nKK2/XaUX1byLow2aju2XJl2OpKpJg+tSJ2fmjIJTkfuYUz574dFX6/VXxSxwGH/xQEAKS5TCsBK3CwnuG1p5SAsQq3gGVozDWyjEBcWDMdy8/AIFrj/y03Lfc/RNRCQTAfZbnf2QwV7sluw4fH3XJr07UoD0YqN+7XZzidtrwqMY26fpLZnyZjnBEt1FAZWO7RnKG5asg8xRk9YaDdedXdQSJAOy6bWEWlABj+tVAigBxavaluUH8LOj+yfCFldJjNLdi90fVHkUD/m4Mr5OtmupNMXPwuG3EQlqWUVpQoYpUYKLsk7a5Mvg6UFkiH596y5IbJEVCI1Kb3D1',
    'e3+wo77iKcILiZegnzyUNcjCdoQ=',
  ],
];

/**
 * Direct port of the reference algorithm: three 64-bit cells (the last one
 * 32 bits wide), each byte XORed in at a position advancing 11 bits per byte.
 */
function referenceHash(data: Uint8Array): string {
  const cells = [0n, 0n, 0n];
  const widths = [64, 64, 32];
  let shift = 0;
  for (const byte of data) {
    const cell = Math.floor(shift / 64);
    const offset = shift % 64;
    const b = BigInt(byte);
    if (offset <= widths[cell] - 8) {
      cells[cell] ^= b << BigInt(offset);
    } else {
      const mask = (1n << BigInt(widths[cell])) - 1n;
      cells[cell] ^= (b << BigInt(offset)) & mask;
      const next = cell === 2 ? 0 : cell + 1;
      cells[next] ^= b >> BigInt(widths[cell] - offset);
    }
    shift = (shift + 11) % 160;
  }
  const out = Buffer.alloc(20);
  for (let i = 0; i < 8; i++) out[i] = Number((cells[0] >> BigInt(8 * i)) & 0xffn);
  for (let i = 0; i < 8; i++) out[8 + i] = Number((cells[1] >> BigInt(8 * i)) & 0xffn);
  for (let i = 0; i < 4; i++) out[16 + i] = Number((cells[2] >> BigInt(8 * i)) & 0xffn);
  let len = BigInt(data.length);
  for (let i = 12; i < 20; i++) {
    out[i] ^= Number(len & 0xffn);
    len >>= 8n;
  }
  return out.toString('base64');
}

describe('QuickXorHash', () => {
  it('matches the published test vectors', () => {
    for (const [input, expected] of VECTORS) {
      const data = Buffer.from(input, 'base64');
      assert.equal(QuickXorHash.of(data), expected, `input of ${data.length} bytes`);
    }
  });

  it('gives the same digest whatever the chunking', () => {
    for (const [input, expected] of VECTORS) {
      const data = Buffer.from(input, 'base64');
      for (const size of [1, 2, 3, 7, 8, 64, 159, 160, 161, 1000]) {
        const h = new QuickXorHash();
        for (let i = 0; i < data.length; i += size) h.update(data.subarray(i, i + size));
        assert.equal(h.digestBase64(), expected, `input ${data.length} bytes, chunks of ${size}`);
      }
    }
  });

  it('agrees with a bit-by-bit port of the reference on random data (aligned and unaligned)', () => {
    for (const size of [0, 1, 159, 160, 161, 319, 320, 4096, 100_003]) {
      const data = randomBytes(size + 3).subarray(3); // odd byteOffset exercises the realigning path
      const expected = referenceHash(data);
      assert.equal(QuickXorHash.of(data), expected, `size ${size}`);
      const h = new QuickXorHash();
      let i = 0;
      for (const step of [5, 333, 160, 1, 65536]) {
        h.update(data.subarray(i, i + step));
        i = Math.min(data.length, i + step);
      }
      h.update(data.subarray(i));
      assert.equal(h.digestBase64(), expected, `size ${size}, mixed chunks`);
    }
  });

  it('digest() does not disturb the running state and is 20 bytes', () => {
    const h = new QuickXorHash();
    h.update(Buffer.from('hello '));
    assert.equal(h.digest().length, 20);
    h.update(Buffer.from('world'));
    assert.equal(h.digestBase64(), QuickXorHash.of(Buffer.from('hello world')));
  });

  it('hashes fast enough for 1 GiB files', () => {
    const data = Buffer.alloc(64 << 20, 7);
    const t0 = process.hrtime.bigint();
    const h = new QuickXorHash();
    for (let i = 0; i < data.length; i += 1 << 20) h.update(data.subarray(i, i + (1 << 20)));
    h.digest();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const mbps = 64 / secs;
    // Generous floor so a loaded CI machine does not flake; typical is > 1 GB/s.
    assert.ok(mbps > 150, `only ${mbps.toFixed(0)} MB/s`);
  });
});
