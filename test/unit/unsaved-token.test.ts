import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { ConfigCredentialStore, MemoryCredentialStore } from '../../src/config/credential-store.js';
import { refreshTokenCodec, type RefreshTokenCredential } from '../../src/config/credential.js';
import { readConfig, writeConfigAtomic } from '../../src/config/config-file.js';
import { TokenSource, type TokenGrant } from '../../src/drives/token-source.js';

/** A service with single-use refresh tokens: rt-0 → rt-1 → … */
function rotatingService() {
  let valid = 'rt-0';
  let n = 0;
  const used: string[] = [];
  const exchange = async (rt: string): Promise<TokenGrant> => {
    used.push(rt);
    if (rt !== valid) throw new Error(`refused ${rt}`);
    n++;
    valid = `rt-${n}`;
    return { accessToken: `at-${n}`, refreshToken: valid, expiresInSec: 3600 };
  };
  return { exchange, used };
}

/** A store whose saves fail with ENOSPC while `full` is set. */
class FullDiskStore extends MemoryCredentialStore<RefreshTokenCredential> {
  full = true;
  readonly where = 'the config file /cfg/config.json';
  override async save(c: RefreshTokenCredential): Promise<void> {
    if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return super.save(c);
  }
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug', base: undefined }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { log, lines };
}

test('a rotated token the store refuses stays in memory: the next refresh spends it, a later save keeps the newest', async () => {
  const svc = rotatingService();
  const store = new FullDiskStore({ refreshToken: 'rt-0' });
  const { log, lines } = capture();
  const ts = new TokenSource(svc.exchange, { remote: 'od', store, log, saveRetryMs: 3_600_000 });
  assert.equal(await ts.refresh(), 'at-1', 'the mount keeps its access token although the save failed');
  assert.equal((await store.load())?.refreshToken, 'rt-0', 'the store still holds the spent token');
  assert.equal(await ts.refresh(), 'at-2', 'the in-memory token was not used (the stored one is spent)');
  assert.deepEqual(svc.used, ['rt-0', 'rt-1']);
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1, 'one line, not one per refresh');
  assert.match(String(errors[0]!.msg), /could not be saved to the config file \/cfg\/config\.json/);
  assert.ok(!JSON.stringify(lines).includes('rt-1') && !JSON.stringify(lines).includes('rt-2'), 'a token reached the log');
  store.full = false;
  assert.equal(await ts.refresh(), 'at-3');
  assert.equal((await store.load())?.refreshToken, 'rt-3', 'saved at the next refresh');
  assert.equal(ts.stop(), false, 'nothing left unsaved');
});

test('a retry timer saves the kept token once the store takes it again, without a refresh', async () => {
  const svc = rotatingService();
  const store = new FullDiskStore({ refreshToken: 'rt-0' });
  const { log, lines } = capture();
  const ts = new TokenSource(svc.exchange, { remote: 'od', store, log, saveRetryMs: 20 });
  try {
    await ts.refresh();
    store.full = false;
    for (let i = 0; i < 500 && (await store.load())?.refreshToken !== 'rt-1'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await store.load())?.refreshToken, 'rt-1');
    assert.ok(lines.some((l) => /saved now/.test(String(l.msg))));
    assert.deepEqual(svc.used, ['rt-0'], 'the retry only saved; it did not spend a token');
  } finally {
    ts.stop();
  }
});

test('a config file on a read-only or full disk: refreshes go on (no lock, no save), the token is saved when it can be', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-unsaved-'));
  const file = path.join(dir, 'config.json');
  await writeConfigAtomic(file, { remotes: { od: { type: 'onedrive', refreshToken: 'rt-0' } } });
  const store = new ConfigCredentialStore(file, 'od', refreshTokenCodec);
  const svc = rotatingService();
  const { log, lines } = capture();
  const ts = new TokenSource(svc.exchange, { remote: 'od', store, log, saveRetryMs: 3_600_000 });
  // As the real errors would come: the folder refuses every new file.
  const realOpen = fs.open;
  const realWrite = fs.writeFile;
  const refuse = (p: unknown) => String(p).startsWith(dir);
  (fs as { open: unknown }).open = async (p: string, ...rest: unknown[]) => {
    if (refuse(p) && rest[0] !== 'r') throw Object.assign(new Error(`EROFS: read-only file system, open '${p}'`), { code: 'EROFS' });
    return (realOpen as (...a: unknown[]) => unknown)(p, ...rest);
  };
  (fs as { writeFile: unknown }).writeFile = async (p: string, ...rest: unknown[]) => {
    if (refuse(p)) throw Object.assign(new Error(`EROFS: read-only file system, open '${p}'`), { code: 'EROFS' });
    return (realWrite as (...a: unknown[]) => unknown)(p, ...rest);
  };
  try {
    assert.equal(await ts.refresh(), 'at-1');
    assert.equal(await ts.refresh(), 'at-2');
  } finally {
    (fs as { open: unknown }).open = realOpen;
    (fs as { writeFile: unknown }).writeFile = realWrite;
  }
  assert.equal((await readConfig(file)).remotes.od!.refreshToken, 'rt-0');
  assert.match(String(lines.find((l) => l.level === 50)?.msg), new RegExp(`config file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.equal(await ts.refresh(), 'at-3');
  assert.equal((await readConfig(file)).remotes.od!.refreshToken, 'rt-3');
  ts.stop();
  await fs.rm(dir, { recursive: true });
});

test('closing the mount makes a last save of an unsaved token, or says in one line that it is lost', async () => {
  const svc = rotatingService();
  const store = new FullDiskStore({ refreshToken: 'rt-0' });
  const { log, lines } = capture();
  const ts = new TokenSource(svc.exchange, { remote: 'od', store, log, saveRetryMs: 3_600_000 });
  await ts.refresh();
  store.full = false;
  await ts.close();
  assert.equal((await store.load())?.refreshToken, 'rt-1', 'saved at close');
  assert.equal(lines.filter((l) => /lost with this process/.test(String(l.msg))).length, 0);

  const full = new FullDiskStore({ refreshToken: 'rt-1' });
  const second = capture();
  const ts2 = new TokenSource(svc.exchange, { remote: 'od', store: full, log: second.log, saveRetryMs: 3_600_000 });
  await ts2.refresh();
  await ts2.close();
  const lost = second.lines.filter((l) => /lost with this process/.test(String(l.msg)));
  assert.equal(lost.length, 1);
  assert.match(String(lost[0]!.msg), /the config file \/cfg\/config\.json.*log in again/);
  assert.ok(!JSON.stringify(second.lines).includes('rt-2'), 'a token reached the log');
});
