// The journal of staged files: records that follow each file's state and name, and recovery of
// what a crash left (commit, conflict copy, kept unclosed files, damaged records kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryDrive } from '../../src/drives/memory/memory-drive.js';
import { silentLogger } from '../../src/util/log.js';
import { Journal } from '../../src/vfs/journal/journal.js';
import { conflictPath } from '../../src/vfs/journal/conflict-name.js';
import { RECORD_SUFFIX, parseRecord, DamagedRecord } from '../../src/vfs/journal/record.js';
import { recoverStaged } from '../../src/vfs/journal/recovery.js';
import { vfsOn, put } from './vfs-fixture.js';
import { bootId } from '../../src/util/boot-id.js';

const W = { write: true, truncate: false };

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await f();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a staged file has a record that follows its state and its name: written, renamed, committed, unlinked', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem' });
  try {
    const j = f.vfs.journal!;
    await f.vfs.mkdir('/d');
    const fh = await f.vfs.create('/d/a.txt');
    await put(f.vfs, fh, 'hello');
    let scan = await until(() => j.scan(), (s) => s.records.length === 1, 'the record of /d/a.txt');
    assert.equal(scan.records[0]!.record.path, '/d/a.txt');
    assert.equal(scan.records[0]!.record.state, 'dirty');
    assert.equal(scan.records[0]!.record.complete, false, 'not closed yet: not to be uploaded after a crash');
    const mode = (await fs.stat(j.recordPath(scan.records[0]!.staged))).mode & 0o777;
    assert.equal(mode, 0o600, 'records may hold upload URLs: owner only');

    // Its folder renamed while it is open and unsent: the record names the new path.
    await f.vfs.rename('/d', '/e');
    scan = await until(() => j.scan(), (s) => s.records[0]?.record.path === '/e/a.txt', 'the renamed record');
    assert.equal(scan.records.length, 1);

    await f.vfs.flush(fh);
    await until(() => j.scan(), (s) => s.records.length === 0, 'the record gone once committed');
    assert.equal(f.drive.content('/e/a.txt')?.toString(), 'hello');
    await f.vfs.release(fh);

    const fh2 = await f.vfs.create('/c.txt');
    await put(f.vfs, fh2, 'doomed');
    await until(() => j.scan(), (s) => s.records.length === 1, 'the record of /c.txt');
    await f.vfs.unlink('/c.txt');
    await until(() => j.scan(), (s) => s.records.length === 0, 'no record for an unlinked file');
    await f.vfs.release(fh2);
  } finally {
    await f.close();
  }
});

test('a failed commit leaves a complete record; recovery commits it and removes staged copy and record', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem' });
  try {
    f.drive.failAt('upload', 1);
    const fh = await f.vfs.create('/f.bin');
    await put(f.vfs, fh, 'precious bytes');
    await assert.rejects(f.vfs.flush(fh));
    await f.vfs.release(fh);
    const j = new Journal(f.cacheDir, 'mem', silentLogger);
    const scan = await until(() => j.scan(), (s) => s.records[0]?.record.state === 'failed', 'the failed record');
    assert.equal(scan.records[0]!.record.complete, true, 'close asked for these bytes');
    const out = await recoverStaged({ drive: f.drive, journal: j, log: silentLogger });
    assert.deepEqual(out.map((o) => [o.outcome, o.path]), [['uploaded', '/f.bin']]);
    assert.equal(f.drive.content('/f.bin')?.toString(), 'precious bytes');
    assert.deepEqual(await f.staged(), [], 'staged copy and record removed');
  } finally {
    await f.close();
  }
});

/** A staged file and its record, as a crashed mount would leave them. */
async function leftBehind(j: Journal, name: string, data: string, rec: Partial<Parameters<Journal['save']>[1]> & { path: string }) {
  const staged = path.join(j.dir, `${Date.now()}-0123abcd-${name}`);
  await fs.writeFile(staged, data);
  await j.save(staged, { size: data.length, mtimeMs: Date.now(), state: 'committing', complete: true, ...rec });
  return staged;
}

test('recovery: a file never closed is kept and listed; --upload commits it, --discard deletes it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'journal-'));
  const drive = new MemoryDrive();
  const j = new Journal(dir, 'mem', silentLogger);
  try {
    const a = await leftBehind(j, 'a.txt', 'half of a', { path: '/a.txt', state: 'dirty', complete: false });
    const b = await leftBehind(j, 'b.txt', 'half of b', { path: '/b.txt', state: 'dirty', complete: false });
    let out = await recoverStaged({ drive, journal: j, log: silentLogger });
    assert.deepEqual(out.map((o) => o.outcome).sort(), ['kept-unclosed', 'kept-unclosed']);
    assert.equal(drive.calls.upload, 0, 'nothing uploaded without asking');
    await fs.stat(a);
    await fs.stat(b);
    out = await recoverStaged({ drive, journal: j, log: silentLogger }, { upload: new Set(['/a.txt']), discard: new Set(['/b.txt']) });
    assert.deepEqual(out.map((o) => [o.path, o.outcome]).sort(), [['/a.txt', 'uploaded'], ['/b.txt', 'discarded']]);
    assert.equal(drive.content('/a.txt')?.toString(), 'half of a');
    assert.deepEqual(await fs.readdir(dir), []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('recovery: the service file changed since the record\'s base → ours is committed beside it as a conflict copy', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'journal-'));
  const drive = new MemoryDrive();
  const j = new Journal(dir, 'mem', silentLogger);
  try {
    const base = drive.put('/doc.txt', 'original', 1_000_000);
    await leftBehind(j, 'doc.txt', 'our edit', { path: '/doc.txt', base: { id: base.id, size: base.size, mtimeMs: base.mtimeMs } });
    drive.put('/doc.txt', 'their edit', 2_000_000);
    const at = new Date(Date.UTC(2026, 11, 2, 14, 30, 5));
    const out = await recoverStaged({ drive, journal: j, log: silentLogger }, { now: () => at });
    assert.equal(out[0]!.outcome, 'conflict');
    assert.equal(out[0]!.committedAs, '/doc (conflict 2026-12-02 143005).txt');
    assert.equal(drive.content('/doc.txt')?.toString(), 'their edit', 'their file is untouched');
    assert.equal(drive.content('/doc (conflict 2026-12-02 143005).txt')?.toString(), 'our edit');
    assert.deepEqual(await fs.readdir(dir), []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('recovery: the service holds the staged bytes already → nothing is sent; unchanged base → committed over it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'journal-'));
  const drive = new MemoryDrive();
  const j = new Journal(dir, 'mem', silentLogger);
  try {
    const same = drive.put('/same.txt', 'identical');
    await leftBehind(j, 'same.txt', 'identical', { path: '/same.txt', base: { id: 'older', size: 1, mtimeMs: 1 } });
    const old = drive.put('/edit.txt', 'v1');
    await leftBehind(j, 'edit.txt', 'v2 from us', { path: '/edit.txt', base: { id: old.id, size: old.size, mtimeMs: old.mtimeMs } });
    const out = await recoverStaged({ drive, journal: j, log: silentLogger });
    assert.deepEqual(out.map((o) => [o.path, o.outcome]).sort(), [['/edit.txt', 'uploaded'], ['/same.txt', 'already-committed']]);
    assert.equal(drive.calls.upload, 1, 'only the changed file was sent');
    assert.equal(drive.content('/edit.txt')?.toString(), 'v2 from us');
    assert.equal(drive.content('/same.txt')?.toString(), 'identical');
    void same;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a damaged record (truncated, unknown version) keeps its staged file untouched and is reported; so is a staged file without a record', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'journal-'));
  const drive = new MemoryDrive();
  const j = new Journal(dir, 'mem', silentLogger);
  try {
    const s1 = path.join(dir, '1700000000000-00000001-cut.bin');
    const s2 = path.join(dir, '1700000000000-00000002-future.bin');
    const s3 = path.join(dir, '1700000000000-00000003-lonely.bin');
    for (const s of [s1, s2, s3]) await fs.writeFile(s, 'data of ' + s);
    await fs.writeFile(s1 + RECORD_SUFFIX, '{"v":1,"remote":"mem","path":"/cut.b');
    await fs.writeFile(s2 + RECORD_SUFFIX, JSON.stringify({ v: 99, remote: 'mem', path: '/future.bin' }));
    const out = await recoverStaged({ drive, journal: j, log: silentLogger });
    assert.deepEqual(out.map((o) => [o.outcome, o.staged]).sort(), [['damaged', s1], ['damaged', s2], ['unrecorded', s3]]);
    for (const s of [s1, s2, s3]) assert.equal(await fs.readFile(s, 'utf8'), 'data of ' + s, 'kept as it was');
    assert.equal(drive.calls.upload, 0);
    assert.throws(() => parseRecord('{"v":1,'), DamagedRecord);
    assert.throws(() => parseRecord(JSON.stringify({ v: 1, remote: 'r', path: '/x', staged: 'n', size: 1, mtimeMs: 1, state: 'weird', complete: true })), /unknown state/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('conflict names: the stamp before the last extension, none for dot files, a number when taken', async () => {
  const at = new Date(Date.UTC(2026, 0, 9, 3, 4, 5));
  const none = async () => false;
  assert.equal(await conflictPath('/a/b.tar.gz', at, none), '/a/b.tar (conflict 2026-01-09 030405).gz');
  assert.equal(await conflictPath('/.bashrc', at, none), '/.bashrc (conflict 2026-01-09 030405)');
  assert.equal(await conflictPath('/x', at, async (p) => p === '/x (conflict 2026-01-09 030405)'), '/x (conflict 2026-01-09 030405 2)');
});

test('write-back: a file closed (record complete) and then written again is no longer complete: a crash then keeps it rather than uploading half a rewrite', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem', writeBackMs: 60_000 });
  try {
    const j = f.vfs.journal!;
    const fh = await f.vfs.create('/w.txt');
    await put(f.vfs, fh, 'version one');
    await f.vfs.flush(fh); // write-back: durable locally, queued
    await f.vfs.release(fh);
    assert.equal(f.count('upload'), 0, 'nothing sent yet');
    let scan = await until(() => j.scan(), (s) => s.records[0]?.record.complete === true, 'the complete record');
    assert.equal(scan.records[0]!.record.state, 'dirty');
    assert.equal((await f.vfs.getattr('/w.txt')).size, 'version one'.length, 'shown with its local size');
    const fh2 = await f.vfs.open('/w.txt', W);
    await put(f.vfs, fh2, 'half of v2', 0);
    scan = await until(() => j.scan(), (s) => s.records[0]?.record.complete === false, 'the record no longer complete');
    const out = await recoverStaged({ drive: new MemoryDrive(), journal: new Journal(f.cacheDir, 'mem', silentLogger), log: silentLogger }, {}, scan);
    assert.deepEqual(out.map((o) => o.outcome), ['kept-unclosed']);
    await f.vfs.fsync(fh2); // fsync commits at once, in write-back mode too
    assert.equal(f.drive.content('/w.txt')?.toString(), 'half of v2e');
    await f.vfs.release(fh2);
  } finally {
    await f.close();
  }
});

// ── review fixes: each of these failed before its fix ──

test('write-back: the record stops calling the bytes complete before the rewrite returns (no polling: durable first)', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem', writeBackMs: 60_000 });
  try {
    const j = f.vfs.journal!;
    const fh = await f.vfs.create('/r.txt');
    await put(f.vfs, fh, 'version one');
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    assert.equal((await j.scan()).records[0]?.record.complete, true, 'close() returned: the record is complete and on disk');
    assert.equal((await j.scan()).records[0]?.record.dataSynced, true, 'write-back: close() flushed the staged bytes first');
    const fh2 = await f.vfs.open('/r.txt', W);
    await put(f.vfs, fh2, 'v2', 0);
    // Read at once: a crash right after the write returned finds this record.
    const scan = await j.scan();
    assert.equal(scan.records[0]?.record.complete, false, 'taken back before the bytes changed');
    assert.equal(scan.records[0]?.record.upload, undefined, 'no session holds the rewritten bytes');
    await f.vfs.release(fh2);
  } finally {
    await f.close();
  }
});

test('closing one of two handles (a reader closing while a writer goes on) never marks the record complete; the last close does', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem', writeBackMs: 60_000 });
  try {
    const j = f.vfs.journal!;
    const writer = await f.vfs.create('/big.iso');
    await put(f.vfs, writer, 'first half ');
    const reader = await f.vfs.open('/big.iso', { write: false, truncate: false });
    await f.vfs.flush(reader);
    await f.vfs.release(reader);
    let scan = await until(() => j.scan(), (s) => s.records.length === 1, 'the record of /big.iso');
    assert.equal(scan.records[0]!.record.complete, false, 'another handle is still open: the bytes may change yet');
    const kept = await recoverStaged({ drive: new MemoryDrive(), journal: new Journal(f.cacheDir, 'mem', silentLogger), log: silentLogger }, {}, scan);
    assert.deepEqual(kept.map((o) => o.outcome), ['kept-unclosed'], 'a crash now keeps the half file, it does not upload it');
    await put(f.vfs, writer, 'second half', 'first half '.length);
    await f.vfs.flush(writer);
    await f.vfs.release(writer);
    scan = await until(() => j.scan(), (s) => s.records[0]?.record.complete === true, 'complete after the last close');
    assert.equal(scan.records[0]!.record.size, 'first half second half'.length);
  } finally {
    await f.close();
  }
});

test('a staged copy that vanished while queued is never uploaded as an empty file: the upload fails and nothing reaches the service', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem', writeBackMs: 60_000 });
  try {
    const j = f.vfs.journal!;
    const fh = await f.vfs.create('/gone.txt');
    await put(f.vfs, fh, 'precious bytes');
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    const [rec] = (await j.scan()).records;
    await fs.rm(rec!.staged); // a cache cleaner, or the user freeing space
    const again = await f.vfs.open('/gone.txt', { write: false, truncate: false });
    await assert.rejects(f.vfs.fsync(again), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'EIO', 'fsync commits now: it must fail, not send 0 bytes');
      assert.match(e.message, /staged copy/);
      return true;
    });
    assert.equal(f.drive.content('/gone.txt'), undefined, 'nothing was committed in its place');
    await f.vfs.release(again).catch(() => undefined);
  } finally {
    await f.close();
  }
});

test('recovery of two records of one path: the newest bytes take the name, the older become a conflict copy', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-journal-'));
  const j = new Journal(dir, 'mem', silentLogger);
  const drive = new MemoryDrive();
  const older = await leftBehind(j, 'a.txt', 'older', { path: '/a.txt', state: 'failed' });
  await new Promise((r) => setTimeout(r, 5));
  const newer = await leftBehind(j, 'b-a.txt', 'newer', { path: '/a.txt' });
  assert.ok(older !== newer);
  // As readdir may give them: the older first.
  const scan = await j.scan();
  scan.records.sort((a, b) => (a.staged === older ? -1 : b.staged === older ? 1 : 0));
  const out = await recoverStaged({ drive, journal: j, log: silentLogger }, { now: () => new Date('2026-12-02T10:20:30Z') }, scan);
  assert.equal(drive.content('/a.txt')?.toString(), 'newer', JSON.stringify(out));
  const copy = (await drive.list('/')).find((e) => e.name.includes('conflict'));
  assert.ok(copy, `the older bytes are kept beside it: ${JSON.stringify(out)}`);
  assert.equal(drive.content(`/${copy.name}`)?.toString(), 'older');
});

test('while mount-time recovery holds a path, writes, unlinks and renames of it wait for it; other paths do not', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem' });
  try {
    const hold = f.vfs.holdForRecovery(['/held.txt']);
    let opened = false;
    const waiting = f.vfs.create('/held.txt').then((fh) => {
      opened = true;
      return fh;
    });
    const other = await f.vfs.create('/free.txt'); // not held: goes at once
    await f.vfs.release(other);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(opened, false, 'the held path waits for its recovery');
    hold.done('/held.txt');
    const fh = await waiting;
    assert.equal(opened, true);
    await f.vfs.release(fh);
  } finally {
    await f.close();
  }
});

test('write-back queue limit: a queued file that is open again does not count, so its holder never waits for itself', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem', writeBackMs: 60_000, writeBackMaxBytes: 10 });
  try {
    const a = await f.vfs.create('/a.bin');
    await put(f.vfs, a, 'twenty bytes of data');
    await f.vfs.flush(a);
    await f.vfs.release(a);
    const again = await f.vfs.open('/a.bin', W); // the program keeps /a.bin open...
    const b = await f.vfs.create('/b.bin');
    await put(f.vfs, b, 'twenty more bytes....');
    // ...and closes /b.bin: /a.bin cannot upload while open, so counting it would wait forever.
    const closed = await Promise.race([f.vfs.flush(b).then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 3000))]);
    assert.equal(closed, 'closed');
    await f.vfs.release(b);
    await f.vfs.release(again);
  } finally {
    await f.close();
  }
});

test('write-back: renaming a queued, never-uploaded file sends nothing inside rename; it goes up once, at the new name', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem', writeBackMs: 100 });
  try {
    const j = f.vfs.journal!;
    const fh = await f.vfs.create('/.tmp.part');
    await put(f.vfs, fh, 'rsync wrote this');
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    await f.vfs.rename('/.tmp.part', '/final.txt');
    assert.equal(f.count('upload'), 0, 'nothing uploaded inside rename(2)');
    assert.equal((await j.scan()).records[0]?.record.path, '/final.txt', 'the record names the new path when rename returns');
    assert.equal((await f.vfs.getattr('/final.txt')).size, 'rsync wrote this'.length);
    await assert.rejects(f.vfs.getattr('/.tmp.part'), { code: 'ENOENT' });
    await until(async () => f.drive.content('/final.txt')?.toString(), (v) => v === 'rsync wrote this', 'the upload at the new name');
    assert.equal(f.count('upload'), 1, 'one upload, no move');
    assert.equal(f.drive.content('/.tmp.part'), undefined);
    await assert.rejects(f.vfs.rename('/final.txt', '/missing/x.txt'), { code: 'ENOENT' });
  } finally {
    await f.close();
  }
});

// ── sync mode sends from the page cache: the record names the boot ──

test('sync mode: the record of an upload under way says its bytes are unflushed and names this boot; a failed upload flushes them', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem' });
  try {
    f.drive.failAt('upload', 1);
    const fh = await f.vfs.create('/s.bin');
    await put(f.vfs, fh, 'sync-mode bytes');
    await assert.rejects(f.vfs.flush(fh));
    const scan = await until(() => new Journal(f.cacheDir, 'mem', silentLogger).scan(), (s) => s.records[0]?.record.state === 'failed', 'the failed record');
    const r = scan.records[0]!.record;
    assert.equal(r.dataSynced, true, 'the kept copy of a failed upload is flushed to disk');
    assert.equal(r.bootId, bootId());
    await f.vfs.release(fh);
  } finally {
    await f.close();
  }
});

test('recovery: an unflushed record of this boot (a killed mount) is uploaded; of another boot (a restart) it is kept, and --upload sends it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'journal-'));
  const drive = new MemoryDrive();
  const j = new Journal(dir, 'mem', silentLogger);
  try {
    await leftBehind(j, 'same.bin', 'still in the page cache', { path: '/same.bin', dataSynced: false });
    const other = await leftBehind(j, 'other.bin', 'maybe torn', { path: '/other.bin', dataSynced: false });
    // The record as an earlier boot wrote it.
    const rp = j.recordPath(other);
    await fs.writeFile(rp, JSON.stringify({ ...JSON.parse(await fs.readFile(rp, 'utf8')), bootId: 'another-boot' }));
    let out = await recoverStaged({ drive, journal: j, log: silentLogger });
    assert.deepEqual(out.map((o) => [o.path, o.outcome]).sort(), [['/other.bin', 'kept-unclosed'], ['/same.bin', 'uploaded']]);
    assert.match(out.find((o) => o.path === '/other.bin')!.reason ?? '', /restarted/);
    assert.equal(drive.content('/other.bin'), undefined, 'nothing uploaded from a copy that may be torn');
    await fs.stat(other);
    out = await recoverStaged({ drive, journal: j, log: silentLogger }, { upload: new Set(['/other.bin']) });
    assert.deepEqual(out.map((o) => [o.path, o.outcome]), [['/other.bin', 'uploaded']]);
    assert.equal(drive.content('/other.bin')?.toString(), 'maybe torn');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('write-back queue limit: a write() that would take the queue past the limit waits for uploads (a file alone over it goes on); nothing fails', async () => {
  const f = await vfsOn(() => undefined, { journalRemote: 'mem', writeBackMs: 400, writeBackMaxBytes: 10 });
  try {
    const a = await f.vfs.create('/a.bin');
    await put(f.vfs, a, 'twenty bytes of data'); // alone in the queue: over the limit, not held up
    await f.vfs.flush(a);
    await f.vfs.release(a);
    assert.equal(f.drive.content('/a.bin'), undefined, 'queued, not uploaded yet');
    const b = await f.vfs.create('/b.bin');
    let wrote = false;
    const writing = put(f.vfs, b, 'five!').then(() => (wrote = true));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(wrote, false, 'the write waits while /a.bin fills the queue');
    await writing;
    assert.equal(f.drive.content('/a.bin')?.toString(), 'twenty bytes of data', 'it went on once /a.bin was uploaded');
    await f.vfs.flush(b);
    await f.vfs.release(b);
    await until(async () => f.drive.content('/b.bin')?.toString(), (v) => v === 'five!', 'the upload of /b.bin');
  } finally {
    await f.close();
  }
});

// ── conflict copies at an ordinary commit ──

test('a commit over an item that changed on the service since it was opened goes beside it as a conflict copy; the open file follows it; a new file costs no stat', async () => {
  const f = await vfsOn((d) => d.put('/notes.txt', 'version one', 1_000_000), { journalRemote: 'mem' });
  try {
    const fh = await f.vfs.open('/notes.txt', { write: true, truncate: true });
    await put(f.vfs, fh, 'ours');
    f.drive.put('/notes.txt', 'theirs, written elsewhere', 2_000_000); // another device, meanwhile
    await f.vfs.flush(fh);
    assert.equal(f.drive.content('/notes.txt')?.toString(), 'theirs, written elsewhere', 'their file is not overwritten');
    const names = (await f.vfs.readdir('/')).names().filter((n) => n.startsWith('notes (conflict '));
    assert.equal(names.length, 1, `one conflict copy beside it (${names.join(', ')})`);
    assert.match(names[0]!, /^notes \(conflict \d{4}-\d\d-\d\d \d{6}\)\.txt$/);
    assert.equal(f.drive.content(`/${names[0]}`)?.toString(), 'ours');
    const warn = f.lines.filter((l) => l.level === 40 && String(l.msg).includes(names[0]!));
    assert.equal(warn.length, 1, 'one warning names both');
    assert.match(String(warn[0]!.msg), /\/notes\.txt/);
    // Still open: the next write and close go to the copy, not over their file.
    await put(f.vfs, fh, 'ours, more', 0);
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    assert.equal(f.drive.content(`/${names[0]}`)?.toString(), 'ours, more');
    assert.equal(f.drive.content('/notes.txt')?.toString(), 'theirs, written elsewhere');
    assert.equal((await f.vfs.getattr('/notes.txt')).size, 'theirs, written elsewhere'.length);

    const nf = await f.vfs.create('/new.txt');
    await put(f.vfs, nf, 'new');
    const stats = f.count('stat');
    await f.vfs.flush(nf);
    await f.vfs.release(nf);
    assert.equal(f.count('stat'), stats, 'a new file has no base to compare: no stat');
  } finally {
    await f.close();
  }
});

test('a conflict copy whose upload failed is a new file: removing it makes no call on the service and leaves their file alone', async () => {
  const f = await vfsOn((d) => d.put('/doc.txt', 'version one', 1_000_000), { journalRemote: 'mem' });
  try {
    const fh = await f.vfs.open('/doc.txt', { write: true, truncate: true });
    await put(f.vfs, fh, 'ours');
    f.drive.put('/doc.txt', 'theirs, written elsewhere', 2_000_000);
    f.drive.failAt('upload', f.drive.calls.upload + 1);
    await assert.rejects(f.vfs.flush(fh), 'the copy\'s upload fails');
    const copy = f.lines.find((l) => l.level === 40 && typeof l.committedAs === 'string')?.committedAs as string | undefined;
    assert.ok(copy?.startsWith('/doc (conflict '), `the warning names the copy (${copy})`);
    assert.equal((await f.vfs.getattr(copy!)).size, 4, 'stat of the copy shows our bytes');
    const removes = f.count('remove');
    await f.vfs.unlink(copy!);
    assert.equal(f.count('remove'), removes, 'never uploaded: nothing to delete on the service');
    assert.equal(f.drive.content('/doc.txt')?.toString(), 'theirs, written elsewhere', 'their file is untouched');
    await f.vfs.release(fh);
    assert.deepEqual((await f.vfs.readdir('/')).names(), ['doc.txt'], 'no entry of the copy comes back');
  } finally {
    await f.close();
  }
});

test('a commit over an unchanged item replaces it in place, after one stat', async () => {
  const f = await vfsOn((d) => d.put('/same.txt', 'version one', 1_000_000), { journalRemote: 'mem' });
  try {
    const fh = await f.vfs.open('/same.txt', { write: true, truncate: true });
    await put(f.vfs, fh, 'version two');
    const stats = f.count('stat');
    await f.vfs.flush(fh);
    await f.vfs.release(fh);
    assert.equal(f.count('stat'), stats + 1);
    assert.equal(f.drive.content('/same.txt')?.toString(), 'version two');
    assert.deepEqual((await f.vfs.readdir('/')).names(), ['same.txt']);
  } finally {
    await f.close();
  }
});
