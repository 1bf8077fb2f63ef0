// Which command a process runs, as the heap tuning (src/cli/mount-heap.ts) tells it before the
// program is loaded: only mounts get the small young generation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandOf } from '../../src/cli/mount-heap.js';

test('the command is the first argument that is neither an option nor the value of --config', () => {
  assert.equal(commandOf(['mount', 'od', '/mnt']), 'mount');
  assert.equal(commandOf(['--config', '/etc/mount.json', 'mount', 'od', '/mnt']), 'mount');
  assert.equal(commandOf(['--config=/x/mount', 'emulate', 'onedrive']), 'emulate');
  assert.equal(commandOf(['--version']), undefined);
});
