import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgettingWriter } from '../../src/drives/content/forgetting-writer.js';
import { MemoryDrive } from '../../src/drives/memory/memory-drive.js';

test('a forgetting writer drops the cached links of what it uploads over, moves and removes', async () => {
  const d = new MemoryDrive();
  const forgotten: string[] = [];
  const w = forgettingWriter(d.writer, (id) => forgotten.push(id));
  const a = d.put('/a', 'old');
  const up = await w.upload('/a', { size: 3, read: async () => Buffer.from('new') }, { replaces: a });
  assert.deepEqual(forgotten, [a.id, up.id]);
  forgotten.length = 0;
  const moved = await w.move('/a', up, '/b', {});
  assert.deepEqual(forgotten, [up.id]);
  forgotten.length = 0;
  await w.remove('/b', moved);
  assert.deepEqual(forgotten, [moved.id]);
  forgotten.length = 0;
  await w.mkdir('/dir');
  assert.deepEqual(forgotten, [], 'a new folder has no link to forget');
});
