import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig, resolveConfigPath, updateRemote, withConfigLock, writeConfigAtomic } from '../../src/config/config-file.js';
import { parseRemoteSpec } from '../../src/config/remote-spec.js';

async function tmpdir() {
  return fs.mkdtemp(path.join(os.tmpdir(), 'dm-cfg-'));
}

test('config path: --config, then DRIVEMOUNT_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
  assert.equal(resolveConfigPath('/a/b.json', { DRIVEMOUNT_CONFIG: '/c.json' }), '/a/b.json');
  assert.equal(resolveConfigPath(undefined, { DRIVEMOUNT_CONFIG: '/c.json', XDG_CONFIG_HOME: '/x' }), '/c.json');
  assert.equal(resolveConfigPath(undefined, { XDG_CONFIG_HOME: '/x' }), '/x/drivemount/config.json');
  assert.equal(resolveConfigPath(undefined, { HOME: '/home/u' }), '/home/u/.config/drivemount/config.json');
});

test('writes are atomic, mode 0600 even under a permissive umask, and leave no temp files', async () => {
  const dir = await tmpdir();
  const file = path.join(dir, 'sub', 'config.json');
  const old = process.umask(0o000);
  try {
    await writeConfigAtomic(file, { remotes: { a: { type: 'onedrive', refreshToken: 't1' } } });
  } finally {
    process.umask(old);
  }
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await fs.readdir(path.dirname(file)), ['config.json']);
  assert.equal((await readConfig(file)).remotes.a!.refreshToken, 't1');
  await fs.rm(dir, { recursive: true });
});

test('concurrent updates under the lock lose nothing', async () => {
  const dir = await tmpdir();
  const file = path.join(dir, 'config.json');
  await writeConfigAtomic(file, { remotes: { a: { n: 0 } } });
  await Promise.all(
    Array.from({ length: 20 }, () => updateRemote(file, 'a', (r) => void (r.n = (r.n as number) + 1))),
  );
  assert.equal((await readConfig(file)).remotes.a!.n, 20);
  await assert.rejects(fs.stat(file + '.lock'), { code: 'ENOENT' });
  await fs.rm(dir, { recursive: true });
});

test('a lock left by a dead process is taken over', async () => {
  const dir = await tmpdir();
  const file = path.join(dir, 'config.json');
  await fs.writeFile(file + '.lock', '999999999');
  assert.equal(await withConfigLock(file, async () => 'ran', 2000), 'ran');
  await fs.rm(dir, { recursive: true });
});

test('remote specs: NAME and NAME:/sub/path', () => {
  assert.deepEqual(parseRemoteSpec('od'), { name: 'od', subPath: '/' });
  assert.deepEqual(parseRemoteSpec('od:/a/b/'), { name: 'od', subPath: '/a/b' });
  assert.deepEqual(parseRemoteSpec('od:a/../c'), { name: 'od', subPath: '/c' });
  assert.throws(() => parseRemoteSpec(':/x'), /names no remote/);
});
