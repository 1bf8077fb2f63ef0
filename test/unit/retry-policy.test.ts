import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, serverRetryDelayMs } from '../../src/http/retry-policy.js';

test('Retry-After in seconds, as an HTTP date, and x-retry-after in ms', () => {
  assert.equal(serverRetryDelayMs({ 'retry-after': '3' }), 3000);
  assert.equal(serverRetryDelayMs({ 'retry-after': '0.5' }), 500);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(serverRetryDelayMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }, now), 7000);
  assert.equal(serverRetryDelayMs({ 'retry-after': 'Thu, 01 Jan 2025 00:00:07 GMT' }, now), 0);
  assert.equal(serverRetryDelayMs({ 'x-retry-after': '1500' }), 1500);
  assert.equal(serverRetryDelayMs({ 'x-retry-after': '250', 'retry-after': '9' }), 250);
  assert.equal(serverRetryDelayMs({}), undefined);
  assert.equal(serverRetryDelayMs({ 'retry-after': 'soon' }), undefined);
});

test('backoff grows exponentially within [cap/2, cap] and stops at the maximum', () => {
  const o = { baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(backoffDelayMs(1, o, () => 0), 50);
  assert.equal(backoffDelayMs(1, o, () => 1), 100);
  assert.equal(backoffDelayMs(3, o, () => 1), 400);
  assert.equal(backoffDelayMs(10, o, () => 1), 1000);
  assert.equal(backoffDelayMs(10, o, () => 0), 500);
});
