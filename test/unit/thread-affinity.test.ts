// Keeping the main thread and libfuse's threads on one CPU (src/fuse/thread-affinity.ts): the
// threads started since the snapshot and the main thread get one CPU, the others keep theirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import os from 'node:os';

const MODULE = new URL('../../src/fuse/thread-affinity.js', import.meta.url).href;

// A child process, so this test's own threads keep every CPU. A Worker stands in for libfuse's
// threads: a thread started after the snapshot.
const CHILD = `
import { readFileSync, readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { pinFuseThreads, threadIds } from ${JSON.stringify(MODULE)};
const allowed = (t) => /Cpus_allowed_list:\\s*(\\S+)/.exec(readFileSync('/proc/self/task/' + t + '/status', 'utf8'))[1];
const before = threadIds();
const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
await new Promise((r) => w.once('online', r));
const started = [...threadIds()].filter((t) => !before.has(t));
const others = [...before].filter((t) => t !== String(process.pid));
await pinFuseThreads(before, { debug() {} });
console.log(JSON.stringify({ main: allowed(process.pid), started: started.map(allowed), others: others.map(allowed) }));
await w.terminate();
`;

test('the main thread and the threads started since the snapshot share one CPU; older threads keep theirs', { skip: os.cpus().length < 2 && 'one CPU' }, () => {
  const all = execFileSync('sh', ['-c', "grep Cpus_allowed_list /proc/self/status | awk '{print $2}'"], { encoding: 'utf8' }).trim();
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { encoding: 'utf8' })) as {
    main: string;
    started: string[];
    others: string[];
  };
  assert.match(out.main, /^\d+$/, 'the main thread is on one CPU');
  assert.ok(out.started.length > 0);
  for (const s of out.started) assert.equal(s, out.main, 'a started thread is on the main thread\'s CPU');
  assert.ok(out.others.length > 0);
  for (const o of out.others) assert.equal(o, all, 'an older thread keeps every CPU');
});
