import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withFreshToken, type AccessTokens } from '../../src/drives/fresh-token.js';

class Rejected extends Error {}

/** Hands out tok-1, tok-2, … and records which tokens were invalidated. */
function countingTokens(): AccessTokens & { invalidated: string[] } {
  let n = 0;
  let current: string | undefined;
  const invalidated: string[] = [];
  return {
    invalidated,
    async get() {
      current ??= `tok-${++n}`;
      return current;
    },
    invalidate(t: string) {
      invalidated.push(t);
      if (t === current) current = undefined;
    },
  };
}

const isRejected = (e: unknown) => e instanceof Rejected;

test('a rejected token is dropped and the call replayed once with a fresh one', async () => {
  const tokens = countingTokens();
  const seen: string[] = [];
  const out = await withFreshToken(tokens, isRejected, async (t) => {
    seen.push(t);
    if (t === 'tok-1') throw new Rejected();
    return 'ok';
  });
  assert.equal(out, 'ok');
  assert.deepEqual(seen, ['tok-1', 'tok-2']);
  assert.deepEqual(tokens.invalidated, ['tok-1']);
});

test('a second rejection is thrown, not replayed again', async () => {
  const tokens = countingTokens();
  const seen: string[] = [];
  await assert.rejects(
    withFreshToken(tokens, isRejected, async (t) => {
      seen.push(t);
      throw new Rejected();
    }),
    Rejected,
  );
  assert.deepEqual(seen, ['tok-1', 'tok-2']);
});

test('other errors are thrown at once, without a replay or an invalidation', async () => {
  const tokens = countingTokens();
  let calls = 0;
  await assert.rejects(
    withFreshToken(tokens, isRejected, async () => {
      calls++;
      throw new Error('disk full');
    }),
    /disk full/,
  );
  assert.equal(calls, 1);
  assert.deepEqual(tokens.invalidated, []);
});
