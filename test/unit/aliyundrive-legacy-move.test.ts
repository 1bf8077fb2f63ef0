// The legacy driver's rename across folders against the in-process emulator, when a step after
// the move fails: a failed rename puts the file back; a replaced file that cannot be removed
// stays beside the moved one, which is the one the path shows.
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { findDriver } from '../../src/drives/registry.js';
import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { LegacyDrive } from '../../src/drives/aliyundrive/legacy/legacy-drive.js';
import { parseLegacyConfig } from '../../src/drives/aliyundrive/legacy/config.js';
import { type AliHarness, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';
import { HttpClient } from '../../src/http/client.js';
import { silentLogger } from '../../src/util/log.js';

let h: AliHarness;
let http: HttpClient;
let d: LegacyDrive;
const faults = (f: Record<string, unknown>) =>
  h.fetchJson(`${h.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });

before(async () => {
  assert.ok(findDriver('aliyundrive'));
  h = await startAliHarness({}, async (root) => {
    await mkdir(path.join(root, 'a'));
    await mkdir(path.join(root, 'b'));
    await writeFile(path.join(root, 'a', 'one.txt'), 'one');
    await writeFile(path.join(root, 'a', 'two.txt'), 'two');
    await writeFile(path.join(root, 'b', 'old.txt'), 'old');
  });
  http = new HttpClient({ maxRetries: 2, baseDelayMs: 10 });
  const cfg = parseLegacyConfig('t', { type: 'aliyundrive', refreshToken: 'x', authUrl: h.emu.url, apiUrl: h.emu.url });
  d = new LegacyDrive('t', cfg, { http, store: memoryRefreshTokenStore(h.emu.legacyRefreshToken), log: silentLogger });
  await d.connect();
});
after(async () => {
  await d.close();
  await http.close();
  await h.close();
});

test('a move whose rename fails puts the file back where it was, under its name', async () => {
  const one = await d.stat('/a/one.txt');
  await faults({ failUpdateEvery: 1 });
  try {
    await assert.rejects(d.writer.move('/a/one.txt', one, '/b/renamed.txt', {}));
  } finally {
    await faults({ failUpdateEvery: 0 });
  }
  assert.deepEqual((await readdir(path.join(h.root, 'a'))).sort(), ['one.txt', 'two.txt'], 'back in its folder');
  assert.deepEqual(await readdir(path.join(h.root, 'b')), ['old.txt'], 'nothing misplaced');
});

test('a rename onto a file whose removal fails: the path shows the moved file, one log line', async () => {
  const two = await d.stat('/a/two.txt');
  const old = await d.stat('/b/old.txt');
  await faults({ failTrashEvery: 1 });
  try {
    await d.writer.move('/a/two.txt', two, '/b/old.txt', { replaces: old });
  } finally {
    await faults({ failTrashEvery: 0 });
  }
  const shown = await d.stat('/b/old.txt');
  assert.equal(shown.id, two.id, 'the moved file is the one at that name');
  assert.equal((await d.list('/b')).filter((e) => e.name === 'old.txt').length, 1);
  const got: Buffer[] = [];
  for await (const b of d.readRange('/b/old.txt', shown, 0, 3)) got.push(b);
  assert.equal(Buffer.concat(got).toString(), 'two');
  assert.ok(await readFile(path.join(h.root, 'a', 'one.txt')));
});
