import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig, withConfigLock, writeConfigAtomic } from '../../src/config/config-file.js';
import { ConfigCredentialStore } from '../../src/config/credential-store.js';
import { refreshTokenCodec, type CredentialCodec } from '../../src/config/credential.js';

/** A credential of another shape than a refresh token: a cookie with its expiry, and an optional device key. */
interface CookieCredential {
  cookie: string;
  expiresAt: number;
  deviceKey?: string;
}
const cookieCodec: CredentialCodec<CookieCredential> = {
  keys: ['cookie', 'cookieExpiresAt', 'deviceKey'],
  read(e) {
    if (typeof e.cookie !== 'string' || typeof e.cookieExpiresAt !== 'number') return undefined;
    return { cookie: e.cookie, expiresAt: e.cookieExpiresAt, deviceKey: typeof e.deviceKey === 'string' ? e.deviceKey : undefined };
  },
  write(c) {
    return { cookie: c.cookie, cookieExpiresAt: c.expiresAt, deviceKey: c.deviceKey };
  },
};

async function configWith(remotes: Record<string, Record<string, unknown>>) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-cred-'));
  const file = path.join(dir, 'config.json');
  await writeConfigAtomic(file, { remotes });
  return { dir, file };
}

test('a structured credential round-trips through the config entry, other settings untouched', async () => {
  const { file } = await configWith({ r: { type: 'x', rootPath: '/a' }, other: { type: 'y' } });
  const store = new ConfigCredentialStore(file, 'r', cookieCodec);
  assert.equal(await store.load(), undefined);
  await store.exclusive(() => store.save({ cookie: 'c=1', expiresAt: 1234, deviceKey: 'dk' }));
  assert.deepEqual(await store.load(), { cookie: 'c=1', expiresAt: 1234, deviceKey: 'dk' });
  // A key the new credential leaves out is removed, not left stale.
  await store.exclusive(() => store.save({ cookie: 'c=2', expiresAt: 99 }));
  const cfg = await readConfig(file);
  assert.deepEqual(cfg.remotes.r, { type: 'x', rootPath: '/a', cookie: 'c=2', cookieExpiresAt: 99 });
  assert.deepEqual(cfg.remotes.other, { type: 'y' });
});

test('the refresh-token codec reads and writes the existing "refreshToken" key', async () => {
  const { file } = await configWith({ r: { type: 'onedrive', refreshToken: 'rt-old', clientId: 'c' } });
  const store = new ConfigCredentialStore(file, 'r', refreshTokenCodec);
  assert.deepEqual(await store.load(), { refreshToken: 'rt-old' });
  await store.exclusive(() => store.save({ refreshToken: 'rt-new' }));
  assert.deepEqual((await readConfig(file)).remotes.r, { type: 'onedrive', refreshToken: 'rt-new', clientId: 'c' });
});

test('saving writes atomically with mode 0600 and leaves no temp files', async () => {
  const { dir, file } = await configWith({ r: { type: 'x' } });
  await fs.chmod(file, 0o644);
  const old = process.umask(0o000);
  try {
    await new ConfigCredentialStore(file, 'r', cookieCodec).save({ cookie: 'c', expiresAt: 1 });
  } finally {
    process.umask(old);
  }
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await fs.readdir(dir), ['config.json']);
});

test('exclusive() holds the config lock: another locker waits until the cycle is done', async () => {
  const { file } = await configWith({ r: { type: 'x' } });
  const store = new ConfigCredentialStore(file, 'r', cookieCodec);
  const order: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const cycle = store.exclusive(async () => {
    order.push('cycle start');
    entered();
    await held;
    await store.save({ cookie: 'from-cycle', expiresAt: 1 });
    order.push('cycle end');
  });
  await inside;
  const other = withConfigLock(file, async () => {
    order.push('other');
    return (await readConfig(file)).remotes.r?.cookie;
  });
  release();
  await cycle;
  assert.equal(await other, 'from-cycle');
  assert.deepEqual(order, ['cycle start', 'cycle end', 'other']);
});

test('a remote removed while mounted is not re-created by a save', async () => {
  const { file } = await configWith({ other: { type: 'y' } });
  await new ConfigCredentialStore(file, 'gone', refreshTokenCodec).save({ refreshToken: 't' });
  assert.deepEqual((await readConfig(file)).remotes, { other: { type: 'y' } });
});
