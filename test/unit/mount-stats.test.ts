// The figures a stats line shows are differences since the previous line, per second; uploads
// running longer than a few seconds get a progress line each.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { MountStats, LONG_UPLOAD_MS } from '../../src/cli/mount-stats.js';
import type { UploadProgress } from '../../src/vfs/write/staged-files.js';

function fixture() {
  let now = 1_000_000;
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)).msg), cb()) }));
  const vfs = { stats: { bytesRead: 0, bytesWritten: 0 }, uploads: [] as UploadProgress[], uploadsInFlight: () => vfs.uploads };
  const http = { stats: { requests: 0, apiCalls: 0, retries: 0, throttled: 0, throttleWaitMs: 0, bytesReceived: 0 } };
  const stats = new MountStats({ vfs, http }, log, () => now);
  return { stats, vfs, http, lines, advance: (ms: number) => (now += ms), now: () => now };
}

test('a stats line shows rates and counts since the previous line', () => {
  const f = fixture();
  f.advance(2000);
  f.vfs.stats.bytesRead += 20e6;
  f.vfs.stats.bytesWritten += 4e6;
  f.http.stats.apiCalls += 10;
  f.http.stats.throttled += 2;
  f.http.stats.throttleWaitMs += 3000;
  const first = f.stats.line();
  assert.match(first, /read 10\.0 MB\/s/);
  assert.match(first, /written 2\.00 MB\/s/);
  assert.match(first, /API calls 10 \(5\.0\/s, 10 in all\)/);
  assert.match(first, /throttled 2 \(waited 3\.0 s\)/);
  assert.match(first, /no uploads/);
  f.advance(1000);
  f.http.stats.apiCalls += 1;
  const second = f.stats.line();
  assert.match(second, /read 0\.00 MB\/s/);
  assert.match(second, /API calls 1 \(1\.0\/s, 11 in all\)/);
});

test('uploads in flight appear with their percent; only long ones get progress lines', () => {
  const f = fixture();
  f.vfs.uploads = [
    { path: '/big.iso', size: 1000, committed: 420, startedMs: f.now() - LONG_UPLOAD_MS - 1000 },
    { path: '/small.txt', size: 10, committed: 0, startedMs: f.now() - 100 },
  ];
  assert.match(f.stats.line(), /2 uploads \(\/big\.iso 42% of 1000 B, \/small\.txt 0% of 10 B\)/);
  f.stats.logLongUploads();
  assert.equal(f.lines.length, 1);
  assert.match(f.lines[0]!, /^uploading \/big\.iso: 42% \(420 B of 1000 B\) at .* MB\/s, 6 s so far$/);
});
