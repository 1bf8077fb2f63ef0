import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestedMtime } from '../../src/fuse/write-operations.js';
import { utimensPassesMtime } from '../../src/fuse/binding.js';

test('the installed binding carries the utimens patch (scripts/patch-binding.mjs)', () => {
  assert.equal(utimensPassesMtime(), true);
});

test('utimens: a real time, "now" (2 ms), "leave it" (1 ms); an unpatched binding falls back to atime', () => {
  const t = Date.parse('2003-03-03T03:03:03Z');
  assert.equal(requestedMtime(2, t, true), t); // touch -m -d / tar: atime now, mtime given
  assert.equal(requestedMtime(t, 1, true), undefined); // touch -a: leave mtime alone
  const now = requestedMtime(2, 2, true)!; // touch
  assert.ok(Math.abs(now - Date.now()) < 1000);
  assert.equal(requestedMtime(t, 1073, false), t);
  assert.ok(Math.abs(requestedMtime(1073, 1073, false)! - Date.now()) < 1000);
});
