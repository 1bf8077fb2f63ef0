// Keeping the main thread and libfuse's threads on one CPU (src/fuse/thread-affinity.ts): the
// threads started since the snapshot and the main thread get one CPU while little data moves,
// every CPU while a stream of reads or writes does; older threads keep theirs throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const MODULE = new URL('../../src/fuse/thread-affinity.js', import.meta.url).href;

// A child process, so this test's own threads keep every CPU. A Worker stands in for libfuse's
// threads: a thread started after the snapshot.
const CHILD = `
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ThreadPinning, threadIds } from ${JSON.stringify(MODULE)};
const allowed = (t) => /Cpus_allowed_list:\\s*(\\S+)/.exec(readFileSync('/proc/self/task/' + t + '/status', 'utf8'))[1];
const before = threadIds();
const w = new Worker('setInterval(() => {}, 1000)', { eval: true });
await new Promise((r) => w.once('online', r));
const started = [...threadIds()].filter((t) => !before.has(t));
const others = [...before].filter((t) => t !== String(process.pid));
const now = () => ({ main: allowed(process.pid), started: started.map(allowed), others: others.map(allowed) });
const p = new ThreadPinning(before, { debug() {} }, { checkMs: 100, spreadBytes: 1000, gatherBytes: 100 });
const states = [];
await p.start();
states.push(now());
// A read op as the binding calls it: the wrapped handler counts the bytes its callback reports.
const ops = p.wrap({ read: (path, fd, buf, len, pos, cb) => cb(len) });
await new Promise((r) => ops.read('/f', 1, null, 4096, 0, r));
await new Promise((r) => setTimeout(r, 30)); // the spreading runs taskset
states.push(now());
await new Promise((r) => setTimeout(r, 400)); // checks with no data: gathered again
states.push(now());
p.stop();
console.log(JSON.stringify(states));
await w.terminate();
`;

interface State {
  main: string;
  started: string[];
  others: string[];
}

test('main and started threads share one CPU while little data moves, spread out for a stream, and gather again', { skip: os.cpus().length < 2 && 'one CPU' }, () => {
  const all = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
  const [gathered, spread, again] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { encoding: 'utf8' })) as State[];
  for (const [s, what] of [[gathered, 'at start'], [again, 'after the stream']] as const) {
    assert.match(s.main, /^\d+$/, `the main thread is on one CPU ${what}`);
    assert.ok(s.started.length > 0);
    for (const t of s.started) assert.equal(t, s.main, `a started thread is on the main thread's CPU ${what}`);
  }
  assert.equal(spread.main, all, 'a stream of reads lets the main thread use every CPU');
  for (const t of spread.started) assert.equal(t, all, 'and the started threads');
  for (const s of [gathered, spread, again]) for (const o of s.others) assert.equal(o, all, 'an older thread keeps every CPU');
});
