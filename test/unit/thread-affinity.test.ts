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
const p = new ThreadPinning(before, { debug() {}, warn() {} }, { checkMs: 100, spreadBytes: 1000, gatherBytes: 100 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const states = [];
await p.start();
states.push(now());
// Read and write ops as the binding calls them: the wrapped handler counts the bytes their
// callbacks report; an errno passes through unchanged and counts nothing.
const ops = p.wrap({ read: (path, fd, buf, len, pos, cb) => cb(len), write: (path, fd, buf, len, pos, cb) => cb(-5) });
const errno = await new Promise((r) => ops.write('/f', 1, null, 4096, 0, r));
await p.settled();
states.push(now());
await new Promise((r) => ops.read('/f', 1, null, 4096, 0, r));
await p.settled();
states.push(now());
// Checks with no data gather them again (a loaded machine may take a while to run taskset).
for (const t0 = Date.now(); Date.now() - t0 < 10000; ) {
  await sleep(100);
  await p.settled();
  if (p.isPinned && /^\\d+$/.test(allowed(process.pid))) break;
}
states.push(now());
await p.stop();
states.push(now());
console.log(JSON.stringify({ states, errno }));
await w.terminate();
`;

interface State {
  main: string;
  started: string[];
  others: string[];
}

/** taskset exists and this process may change its threads' CPUs (not so in some containers). */
function canSetAffinity(): boolean {
  try {
    execFileSync('taskset', ['-p', '-c', /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1], String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('main and started threads share one CPU while little data moves, spread out for a stream, gather again, and get every CPU back at stop', { skip: (os.cpus().length < 2 && 'one CPU') || (!canSetAffinity() && 'taskset missing or not allowed') }, () => {
  const all = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { encoding: 'utf8' })) as { states: State[]; errno: number };
  const [gathered, afterErrno, spread, again, stopped] = out.states;
  assert.equal(out.errno, -5, 'an errno reaches the binding unchanged');
  for (const [s, what] of [[gathered, 'at start'], [afterErrno, 'after a failed write'], [again, 'after the stream']] as const) {
    assert.match(s.main, /^\d+$/, `the main thread is on one CPU ${what}`);
    assert.ok(s.started.length > 0);
    for (const t of s.started) assert.equal(t, s.main, `a started thread is on the main thread's CPU ${what}`);
  }
  for (const s of [spread, stopped]) {
    assert.equal(s.main, all, 'a stream of reads, and stop(), let the main thread use every CPU');
    for (const t of s.started) assert.equal(t, all, 'and the started threads');
  }
  for (const s of out.states) for (const o of s.others) assert.equal(o, all, 'an older thread keeps every CPU');
});
