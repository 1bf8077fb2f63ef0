// The aliyundrive-share driver: its config, the copy bookkeeping (against a fake own drive), and
// the driver itself against the in-process emulator (share tokens, listing, the refused links,
// working links, the copy fallback).

import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it, test } from 'node:test';
import { pino } from 'pino';

// The registry first: descriptors load through it (a descriptor imported alone meets an import cycle).
import { findDriver } from '../../src/drives/registry.js';
import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { parseAliyundriveShareConfig, type AliyundriveShareConfig } from '../../src/drives/aliyundrive/share/config.js';
import { COPIES_FOLDER } from '../../src/drives/aliyundrive/share/own-drive.js';
import { ShareCopies, type OwnDrive } from '../../src/drives/aliyundrive/share/share-copies.js';
import { ShareRefused } from '../../src/drives/aliyundrive/share/share-errors.js';
import { ShareDrive } from '../../src/drives/aliyundrive/share/share-drive.js';
import { type AliHarness, sleep, startAliHarness, tempDir } from '../../src/emulators/aliyundrive/harness.js';
import { HttpClient } from '../../src/http/client.js';
import type { Drive, RemoteEntry } from '../../src/drives/types.js';
import { ConfigError, DriveError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';

test('config: the issue contract, defaults, strict keys', () => {
  const aliyundriveShareDescriptor = findDriver('aliyundrive-share')!;
  const c = parseAliyundriveShareConfig('s', { type: 'aliyundrive-share', shareId: 'abc', refreshToken: 'r' });
  assert.deepEqual(c, {
    type: 'aliyundrive-share', shareId: 'abc', sharePassword: undefined, refreshToken: 'r', authUrl: 'https://auth.alipan.com',
    apiUrl: 'https://api.alipan.com', rootFolderId: 'root', shareDownload: 'link',
  });
  assert.equal(parseAliyundriveShareConfig('s', { type: 'aliyundrive-share', shareId: 'a', refreshToken: 'r', shareDownload: 'copy' }).shareDownload, 'copy');
  assert.throws(() => parseAliyundriveShareConfig('s', { type: 'aliyundrive-share', refreshToken: 'r' }), /shareId/);
  assert.throws(() => parseAliyundriveShareConfig('s', { type: 'aliyundrive-share', shareId: 'a' }), /refreshToken/);
  assert.throws(() => parseAliyundriveShareConfig('s', { type: 'aliyundrive-share', shareId: 'a', refreshToken: 'r', shareDownload: 'fast' }), /shareDownload/);
  assert.throws(() => parseAliyundriveShareConfig('s', { type: 'aliyundrive-share', shareId: 'a', refreshToken: 'r', password: 'x' }), /password/);
  assert.equal(aliyundriveShareDescriptor.emulator.sharedSuites, false);
  assert.equal(aliyundriveShareDescriptor.summary({ shareId: 'abc', sharePassword: 'x', shareDownload: 'copy' }), 'share abc, password, downloads via copy');
  assert.ok(aliyundriveShareDescriptor.settings.find((s) => s.key === 'sharePassword')?.secret);
});

/** An own drive in memory: folders and files by id, every call recorded. */
class FakeOwn implements OwnDrive {
  readonly items = new Map<string, { parent: string; name: string }>();
  readonly calls: string[] = [];
  failCopy?: Error;
  private n = 0;
  async copiesFolder() {
    this.calls.push('copiesFolder');
    return 'copies';
  }
  async children(folderId: string) {
    return [...this.items.entries()].filter(([, v]) => v.parent === folderId).map(([id, v]) => ({ id, name: v.name }));
  }
  /** Copies that exist (in any folder). */
  copies(): number {
    return [...this.items.keys()].filter((k) => k.startsWith('f')).length;
  }
  async mkdir(parentId: string, name: string) {
    const id = `d${++this.n}`;
    this.items.set(id, { parent: parentId, name });
    return id;
  }
  async copyFromShare(shareFileId: string, toParentId: string) {
    this.calls.push(`copy ${shareFileId}`);
    if (this.failCopy) throw this.failCopy;
    const id = `f${++this.n}`;
    this.items.set(id, { parent: toParentId, name: shareFileId });
    return id;
  }
  async linkOf(fileId: string) {
    return { url: `https://dl/${fileId}`, expiresAt: Date.now() + 60_000 };
  }
  async remove(fileId: string) {
    this.calls.push(`remove ${fileId}`);
    const doomed = [fileId];
    for (let i = 0; i < doomed.length; i++) for (const [k, v] of this.items) if (v.parent === doomed[i]) doomed.push(k);
    for (const id of doomed) this.items.delete(id);
  }
}

const entry = (id: string): RemoteEntry => ({ id, name: `${id}.bin`, isDir: false, size: 1, mtimeMs: 0, birthtimeMs: 0 });

test('copies: one per file, shared by its reads, at most maxCopies, idle ones deleted, all deleted at close', async () => {
  const own = new FakeOwn();
  const copies = new ShareCopies(own, silentLogger, 't', { maxCopies: 2, idleMs: 1_000_000, sweepMs: 1_000_000 });
  const holdA = copies.hold(entry('a'));
  await copies.linkFor(entry('a'));
  await copies.linkFor(entry('a'));
  assert.equal(own.calls.filter((c) => c === 'copy a').length, 1, 'a second read of a file reuses its copy');
  const holdB = copies.hold(entry('b'));
  await copies.linkFor(entry('b'));
  // Both held: a third file waits for a slot.
  const holdC = copies.hold(entry('c'));
  let third = false;
  const c = copies.linkFor(entry('c')).then(() => (third = true));
  await sleep(50);
  assert.equal(third, false, 'no third copy while two are held');
  holdA(); // a release wakes the waiting read, which evicts the copy no longer held
  await c;
  assert.equal(third, true);
  assert.deepEqual(own.calls.filter((x) => x.startsWith('copy')), ['copy a', 'copy b', 'copy c']);
  assert.equal(own.copies(), 2, 'a was evicted for c; b is held');
  holdB();
  holdC();
  await copies.close();
  assert.equal(own.copies(), 0, 'nothing left after close');
  assert.equal(own.items.size, 0);
});

test('copies: the least recently used idle copy makes room; a failed copy leaves nothing and can be tried again', async () => {
  const own = new FakeOwn();
  const copies = new ShareCopies(own, silentLogger, 't', { maxCopies: 2, idleMs: 1_000_000, sweepMs: 1_000_000 });
  await copies.linkFor(entry('a'));
  await sleep(5);
  await copies.linkFor(entry('b'));
  await copies.linkFor(entry('c')); // a is the oldest and unheld: evicted
  assert.ok(own.calls.includes('remove d2'), JSON.stringify(own.calls));
  assert.equal(own.copies(), 2);
  own.failCopy = new Error('QuotaExhausted.Drive');
  await assert.rejects(copies.linkFor(entry('d')), /QuotaExhausted/);
  own.failCopy = undefined;
  await copies.linkFor(entry('d'));
  assert.equal(own.calls.filter((x) => x === 'copy d').length, 2);
  await copies.close();
  assert.equal(own.items.size, 0, 'the failed copy left no folder behind');
});

test('copies: only folders of mounts that ended are removed; a live mount keeps its copies', async () => {
  const own = new FakeOwn();
  // A process that has exited: its pid names a dead mount of this host.
  const { spawnSync } = await import('node:child_process');
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
  const host = os.hostname().replace(/[^A-Za-z0-9.]/g, '_');
  await own.mkdir('copies', `${host}-${gone}-0123abcd`);
  await own.mkdir('copies', 'old-layout-folder');
  await own.mkdir('copies', `other.host.example-${process.pid}-0123abcd`);
  const live = new ShareCopies(own, silentLogger, 't', { sweepMs: 1_000_000 });
  const holdLive = live.hold(entry('a'));
  await live.linkFor(entry('a'));
  const second = new ShareCopies(own, silentLogger, 't', { sweepMs: 1_000_000 });
  assert.equal(await second.removeLeftovers(), 2, 'the dead mount and the old layout');
  assert.equal(own.copies(), 1, "the live mount's copy stays");
  assert.deepEqual((await own.children('copies')).map((c) => c.name).sort(), [`other.host.example-${process.pid}-0123abcd`, live.mountId].sort());
  holdLive();
  await live.close();
  await second.close();
  assert.equal(own.copies(), 0);
});

test('copies: a read that finds every copy held waits at most slotWaitMs, then EBUSY with one log line', async () => {
  const own = new FakeOwn();
  const { log, lines } = recordingLogger();
  const copies = new ShareCopies(own, log, 't', { maxCopies: 1, idleMs: 1_000_000, sweepMs: 1_000_000, slotWaitMs: 200 });
  const hold = copies.hold(entry('a'));
  await copies.linkFor(entry('a'));
  for (let i = 0; i < 2; i++) await assert.rejects(copies.linkFor(entry('b')), (e: DriveError) => e.code === 'EBUSY');
  assert.equal(lines.filter((l) => l.level === 40).length, 1);
  hold();
  await copies.linkFor(entry('b'));
  await copies.close();
});

test('copies: a copy that cannot be removed is logged at warn once', async () => {
  const own = new FakeOwn();
  const { log, lines } = recordingLogger();
  const copies = new ShareCopies(own, log, 't', { maxCopies: 1, idleMs: 1_000_000, sweepMs: 1_000_000 });
  own.remove = async () => {
    throw new Error('NotAllowed');
  };
  await copies.linkFor(entry('a'));
  await copies.linkFor(entry('b'));
  await copies.linkFor(entry('c'));
  await copies.close();
  assert.equal(lines.filter((l) => l.level === 40).length, 1, JSON.stringify(lines));
  assert.ok(lines.filter((l) => l.level === 20 && /not removed/.test(String(l.msg))).length >= 2);
});

/** A logger whose lines tests read. */
function recordingLogger(): { log: typeof silentLogger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream) as unknown as typeof silentLogger, lines };
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts);
}

describe('aliyundrive-share driver against the emulator', () => {
  let h: AliHarness;
  let shareRoot: string;
  let http: HttpClient;
  const big = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => (i * 7) % 256));
  const drives: ShareDrive[] = [];

  before(async () => {
    shareRoot = await tempDir('drivemount-aliyun-sharer-');
    await mkdir(path.join(shareRoot, 'many'));
    for (let i = 0; i < 230; i++) await writeFile(path.join(shareRoot, 'many', `f${String(i).padStart(3, '0')}.txt`), `n${i}`);
    await mkdir(path.join(shareRoot, 'sub'));
    await writeFile(path.join(shareRoot, 'sub', 'big.bin'), big);
    await writeFile(path.join(shareRoot, 'hello.txt'), 'hello share');
    h = await startAliHarness({ shareRoot, sharePassword: 'ab12' });
    http = new HttpClient({ maxRetries: 3, baseDelayMs: 10 });
    store = memoryRefreshTokenStore(h.emu.legacyRefreshToken);
  });
  after(async () => {
    await http.close();
    await h.close();
    await rm(shareRoot, { recursive: true, force: true });
  });
  beforeEach(async () => {
    for (const d of drives.splice(0)) await d.close().catch(() => undefined);
    h.emu.resetStats();
    await settings({ shareTokenTtlSec: 7200, shareDownloads: 'refused' });
    await h.fetchJson(`${h.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quotaTotal: 2 ** 40 }) });
  });

  const settings = (s: Record<string, unknown>) =>
    h.fetchJson(`${h.emu.url}/_emulator/share-settings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(s) });
  const adminPost = (p: string, body: unknown = {}) =>
    h.fetchJson(`${h.emu.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** One store for every drive, as for several mounts of one remote: the legacy token rotates through it. */
  let store: ReturnType<typeof memoryRefreshTokenStore>;
  async function drive(over: Partial<AliyundriveShareConfig> = {}, log = silentLogger, hooks = {}): Promise<ShareDrive> {
    const cfg: AliyundriveShareConfig = {
      type: 'aliyundrive-share', shareId: h.emu.shareId!, sharePassword: 'ab12', refreshToken: 'unused', authUrl: h.emu.url, apiUrl: h.emu.url,
      rootFolderId: 'root', shareDownload: 'link', ...over,
    };
    const d = new ShareDrive('t', cfg, { http, store, log }, hooks);
    drives.push(d);
    return d;
  }
  /** Copies in the user's drive: files below the share's copies folder (mount folders do not count). */
  const ownCopies = async (): Promise<string[]> =>
    (await readdir(path.join(h.root, COPIES_FOLDER, h.emu.shareId!), { recursive: true, withFileTypes: true }).catch(() => []))
      .filter((d) => d.isFile())
      .map((d) => d.name);

  it('connects, lists the share with paging and stats entries; nothing is writable', async () => {
    const d = await drive();
    await d.connect();
    assert.equal((d as Drive).writer, undefined);
    const top = await d.list('/');
    assert.deepEqual(top.map((e) => e.name).sort(), ['hello.txt', 'many', 'sub']);
    h.emu.resetStats();
    const many = await d.list('/many');
    assert.equal(many.length, 230);
    assert.equal(h.emu.stats().shareList, 3, '230 items in pages of 100');
    const hello = await d.stat('/hello.txt');
    assert.equal(hello.size, 11);
    assert.match(hello.hashes?.sha1 ?? '', /^[0-9a-f]{40}$/);
    await assert.rejects(d.stat('/nope'), (e: DriveError) => e.code === 'ENOENT');
  });

  for (const [what, over, prepare, pattern] of [
    ['a wrong password', { sharePassword: 'nope' }, undefined, /password is wrong.*InvalidResource\.SharePwd/],
    ['no password', { sharePassword: undefined }, undefined, /password is wrong or missing/],
    ['an unknown share', { shareId: '0000000000000000000000' }, undefined, /no share has this id/],
    ['a cancelled share', {}, 'cancel', /cancelled by its owner/],
    ['an expired share', {}, 'expire', /has expired.*ShareLink\.Expired/],
  ] as const) {
    it(`refuses ${what} at connect with a ConfigError (exit code 2)`, async () => {
      let shareId = h.emu.shareId!;
      if (prepare) {
        const s = await adminPost('/_emulator/shares', { path: '/sub', password: 'pw' });
        shareId = s.body.shareId;
        await adminPost(`/_emulator/shares/${shareId}/${prepare}`);
      }
      const d = await drive({ ...(prepare ? { shareId, sharePassword: 'pw' } : {}), ...over });
      await assert.rejects(d.connect(), (e: Error) => {
        assert.ok(e instanceof ShareRefused && e instanceof ConfigError, String(e));
        assert.match(e.message, pattern);
        return true;
      });
    });
  }

  it('with the links refused: EACCES, one log line naming shareDownload, the refusal remembered', async () => {
    const { log, lines } = recordingLogger();
    const d = await drive({}, log);
    await d.connect();
    const hello = await d.stat('/hello.txt');
    for (let i = 0; i < 3; i++) {
      await assert.rejects(collect(d.readRange('/hello.txt', hello, 0, 11)), (e: DriveError) => e.code === 'EACCES' && /ParamFlowException/.test(e.message));
    }
    const warns = lines.filter((l) => l.level === 40);
    assert.equal(warns.length, 1, JSON.stringify(warns));
    assert.match(String(warns[0]!.msg), /ParamFlowException.*"shareDownload": "copy"/);
    assert.ok(h.emu.stats().shareLink <= 2, `shareLink ${h.emu.stats().shareLink}`);
  });

  it('links refused by a plain 429 beyond the retries: the same refusal (EACCES and one log line; copy mode reads through a copy)', async () => {
    await settings({ shareDownloads: 'throttled' });
    const { log, lines } = recordingLogger();
    const d = await drive({}, log);
    await d.connect();
    const hello = await d.stat('/hello.txt');
    for (let i = 0; i < 2; i++) {
      await assert.rejects(collect(d.readRange('/hello.txt', hello, 0, 11)), (e: DriveError) => e.code === 'EACCES' && /429/.test(e.message));
    }
    const warns = lines.filter((l) => l.level === 40);
    assert.equal(warns.length, 1, JSON.stringify(warns));
    assert.match(String(warns[0]!.msg), /HTTP 429 TooManyRequests.*"shareDownload": "copy"/);
    const c = await drive({ shareDownload: 'copy' });
    await c.connect();
    assert.equal((await collect(c.readRange('/hello.txt', await c.stat('/hello.txt'), 0, 11))).toString(), 'hello share');
    await c.close();
  });

  it('with links working: reads by share link with the Referer; the share token is renewed before it expires', async () => {
    await settings({ shareDownloads: 'working', shareTokenTtlSec: 4 });
    const d = await drive();
    await d.connect();
    const bigE = await d.stat('/sub/big.bin');
    assert.ok((await collect(d.readRange('/sub/big.bin', bigE, 0, big.length))).equals(big));
    const mid = await collect(d.readRange('/sub/big.bin', bigE, 1000, 5000));
    assert.ok(mid.equals(big.subarray(1000, 5000)));
    await sleep(3200); // into the token's last quarter
    await d.list('/sub');
    const s = h.emu.stats();
    assert.equal(s.shareToken, 2, 'renewed ahead of expiry');
    assert.equal(s.shareTokenInvalid, 0);
    assert.equal(s.refererRefused, 0);
  });

  it('a share token the service drops is renewed on ShareLinkTokenInvalid and the call replayed once', async () => {
    const d = await drive();
    await d.connect();
    await adminPost('/_emulator/share-tokens/revoke');
    const top = await d.list('/');
    assert.equal(top.length, 3);
    const s = h.emu.stats();
    assert.equal(s.shareTokenInvalid, 1);
    assert.equal(s.shareToken, 2);
  });

  it('copy mode: reads through a copy in the own drive, and leaves no copy behind', async () => {
    const d = await drive({ shareDownload: 'copy' }, silentLogger, { copies: { idleMs: 1500, sweepMs: 100 } });
    await d.connect();
    const bigE = await d.stat('/sub/big.bin');
    assert.ok((await collect(d.readRange('/sub/big.bin', bigE, 0, big.length))).equals(big));
    const hello = await d.stat('/hello.txt');
    assert.equal((await collect(d.readRange('/hello.txt', hello, 6, 11))).toString(), 'share');
    assert.equal((await ownCopies()).length, 2, 'two copies while they are in use');
    const s = h.emu.stats();
    assert.equal(s.shareCopy, 2);
    assert.ok(s.shareLinkRefused >= 1);
    await sleep(2000);
    assert.deepEqual(await ownCopies(), [], 'idle copies are deleted');
    assert.ok(hello.hashes?.sha1);
    await d.close();
    assert.deepEqual(await ownCopies(), []);
  });

  it('copy mode: a crashed mount’s copies are removed at the next connect; close removes the rest', async () => {
    // "Crash": a mount whose process has exited (its id names a pid that is gone), never closed.
    const { spawnSync } = await import('node:child_process');
    const deadId = `${os.hostname().replace(/[^A-Za-z0-9.]/g, '_')}-${spawnSync(process.execPath, ['-e', '0']).pid}-0123abcd`;
    const first = await drive({ shareDownload: 'copy' }, silentLogger, { copies: { idleMs: 1_000_000, sweepMs: 1_000_000, mountId: deadId } });
    await first.connect();
    const hello = await first.stat('/hello.txt');
    await collect(first.readRange('/hello.txt', hello, 0, 11));
    assert.equal((await ownCopies()).length, 1);
    drives.splice(drives.indexOf(first), 1);
    const second = await drive({ shareDownload: 'copy' });
    await second.connect();
    assert.deepEqual(await ownCopies(), []);
    await collect(second.readRange('/hello.txt', await second.stat('/hello.txt'), 0, 11));
    await second.close();
    assert.deepEqual(await ownCopies(), []);
  });

  it('copy mode: a second mount of the same share leaves the first one’s live copies alone', async () => {
    const first = await drive({ shareDownload: 'copy' }, silentLogger, { copies: { idleMs: 1_000_000, sweepMs: 1_000_000 } });
    await first.connect();
    const hello = await first.stat('/hello.txt');
    await collect(first.readRange('/hello.txt', hello, 0, 11));
    assert.equal((await ownCopies()).length, 1);
    const second = await drive({ shareDownload: 'copy' });
    await second.connect();
    assert.equal((await ownCopies()).length, 1, 'the first mount’s copy survives the second connect');
    assert.equal((await collect(first.readRange('/hello.txt', hello, 0, 5))).toString(), 'hello');
    assert.equal(h.emu.stats().shareCopy, 1, 'and is still the one read');
    await second.close();
    await first.close();
    assert.deepEqual(await ownCopies(), []);
  });

  it('copy mode: reads of more files than copies, all at once, all finish (a read holds a copy only with a download slot)', async () => {
    const d = await drive({ shareDownload: 'copy' }, silentLogger, { copies: { maxCopies: 1, idleMs: 1_000_000, sweepMs: 1_000_000, slotWaitMs: 30_000 } });
    await d.connect();
    const names = ['/many/f000.txt', '/many/f001.txt', '/many/f002.txt'];
    const ents = await Promise.all(names.map((n) => d.stat(n)));
    // The copy of f000 exists first; then three reads of other files and one more of f000 start together.
    await collect(d.readRange(names[0]!, ents[0]!, 0, 2));
    const reads = [ents[1]!, ents[2]!, ents[1]!, ents[0]!].map((e, i) => collect(d.readRange(names[[1, 2, 1, 0][i]!]!, e, 0, 2)));
    const timeout = sleep(20_000).then(() => 'stuck');
    const got = await Promise.race([Promise.all(reads), timeout]);
    assert.notEqual(got, 'stuck', 'the reads deadlocked');
    assert.deepEqual((got as Buffer[]).map((b) => b.toString()), ['n1', 'n2', 'n1', 'n0']);
    await d.close();
  });

  it('copy mode with the own drive full: EACCES, one log line saying why, nothing left behind', async () => {
    const { log, lines } = recordingLogger();
    const d = await drive({ shareDownload: 'copy' }, log);
    await d.connect();
    await h.fetchJson(`${h.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quotaTotal: 1 }) });
    const bigE = await d.stat('/sub/big.bin');
    for (let i = 0; i < 2; i++) {
      await assert.rejects(collect(d.readRange('/sub/big.bin', bigE, 0, 10)), (e: DriveError) => e.code === 'EACCES' && /QuotaExhausted/.test(e.message));
    }
    const warns = lines.filter((l) => l.level === 40);
    assert.equal(warns.length, 1, JSON.stringify(warns));
    assert.match(String(warns[0]!.err), /QuotaExhausted\.Drive/);
    assert.deepEqual(await ownCopies(), []);
  });
});
