// Runs every compiled test file with node's test runner, two files at a time: most of an
// end-to-end file's time is spent waiting on emulated latency, throttling answers and the
// kernel, so two files share a 2-core machine well (every test makes its own temporary
// folders, mountpoints and loopback ports). DRIVEMOUNT_TEST_CONCURRENCY overrides (1 = one at
// a time, for a loaded machine). At the end the slowest files are listed with their times.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = find('dist/test').filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}
const concurrency = Number(process.env.DRIVEMOUNT_TEST_CONCURRENCY ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error('DRIVEMOUNT_TEST_CONCURRENCY must be a whole number of at least 1');
  process.exit(2);
}
const reporters = [
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./file-times-reporter.mjs', import.meta.url).href}`, '--test-reporter-destination=stdout',
];
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...reporters, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
