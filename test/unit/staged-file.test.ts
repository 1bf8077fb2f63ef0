import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RemoteEntry, UploadSource } from '../../src/drives/types.js';
import { StagedFile, type UploadFn } from '../../src/vfs/write/staged-file.js';
import { IllegalTransition } from '../../src/vfs/write/staged-file-state.js';
import { StagedFiles } from '../../src/vfs/write/staged-files.js';
import { StagingArea } from '../../src/vfs/write/staging-area.js';
import { DriveError } from '../../src/util/errors.js';

function remote(size: number, mtimeMs = 1000, id = 'r1'): RemoteEntry {
  return { id, name: 'f.txt', isDir: false, size, mtimeMs, birthtimeMs: mtimeMs };
}

const tempDirs: string[] = [];
after(() => Promise.all(tempDirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'staged-file-test-'));
  tempDirs.push(d);
  return d;
}

async function readAll(src: UploadSource): Promise<string> {
  return (await src.read(0, src.size)).toString();
}

const noFetch = async () => {
  throw new Error('no fetch expected');
};

/** A new file staged in a fresh temp dir. */
async function newFile(name = 'f.txt'): Promise<StagedFile> {
  const dir = await tempDir();
  return new StagedFile(`/${name}`, path.join(dir, name), undefined, noFetch, { truncate: true });
}

/** An upload that records what it was given and answers with a committed entry. */
function recordingUpload() {
  const calls: { bytes: string; mtimeMs: number | undefined }[] = [];
  const upload: UploadFn = async (src, mtimeMs) => {
    calls.push({ bytes: await readAll(src), mtimeMs });
    return remote(src.size, mtimeMs ?? 5000, 'committed-id');
  };
  return { calls, upload };
}

const failingUpload: UploadFn = async () => {
  throw new DriveError('ENOSPC', 'drive full');
};

test('initial state: a new file or an emptied existing one is dirty; an existing one opened plainly is open', async () => {
  const dir = await tempDir();
  assert.equal((await newFile()).state, 'dirty');
  assert.equal(new StagedFile('/a', path.join(dir, 'a'), remote(10), noFetch, { truncate: false }).state, 'open');
  assert.equal(new StagedFile('/b', path.join(dir, 'b'), remote(10), noFetch, { truncate: true }).state, 'dirty');
  // O_TRUNC on an empty file changes nothing on the service.
  assert.equal(new StagedFile('/c', path.join(dir, 'c'), remote(0), noFetch, { truncate: true }).state, 'open');
});

test('refusals: each transition from a state where it makes no sense throws IllegalTransition', async () => {
  const dir = await tempDir();
  const clean = new StagedFile('/a', path.join(dir, 'a'), remote(3), noFetch, { truncate: false });
  assert.throws(() => clean.setPendingTime(1), IllegalTransition); // nothing unsent to carry it
  assert.throws(() => clean.dropHandle(), IllegalTransition); // no handle open

  const f = await newFile();
  f.addHandle();
  f.detach();
  assert.equal(f.state, 'detached');
  assert.throws(() => f.detach(), IllegalTransition);
  assert.throws(() => f.addHandle(), IllegalTransition);
  assert.throws(() => f.followRename('/elsewhere'), IllegalTransition);
  assert.throws(() => f.setPendingTime(1), IllegalTransition);
  assert.equal(f.dropHandle(), 0);
  assert.throws(() => f.dropHandle(), IllegalTransition);
  await f.close();
});

test('legal bookkeeping transitions: handles, rename, pending time, remote change', async () => {
  const dir = await tempDir();
  const f = new StagedFile('/a.txt', path.join(dir, 'a'), remote(3), noFetch, { truncate: false });
  f.addHandle();
  f.addHandle();
  assert.equal(f.handles, 2);
  assert.equal(f.dropHandle(), 1);
  f.followRename('/b.txt');
  assert.equal(f.path, '/b.txt');
  assert.equal(f.entry().name, 'b.txt');
  f.remoteChanged(remote(3, 7777, 'r1'));
  assert.equal(f.mtimeMs, 7777);
  assert.equal(f.state, 'open');
  await f.truncate(0);
  assert.equal(f.state, 'dirty');
  f.setPendingTime(4242);
  assert.equal(f.entry().mtimeMs, 4242);
  await f.close();
});

test('commit: a dirty file is uploaded once with its pending time, then it is committed and needs nothing more', async () => {
  const f = await newFile();
  await f.write(Buffer.from('hello'), 5, 0);
  f.setPendingTime(1234);
  const { calls, upload } = recordingUpload();
  const entry = await f.commit(upload);
  assert.deepEqual(calls, [{ bytes: 'hello', mtimeMs: 1234 }]);
  assert.equal(entry?.id, 'committed-id');
  assert.equal(f.state, 'committed');
  assert.equal(f.remote?.id, 'committed-id');
  assert.equal(f.pendingMtimeMs, undefined);
  assert.equal(await f.commit(upload), undefined);
  assert.equal(calls.length, 1);
  // Committed: its bytes are on the service, so the staging file goes.
  const { kept } = await f.close();
  assert.equal(kept, false);
  assert.equal(existsSync(f.stagingPath), false);
});

test('commit of a file opened without changes uploads nothing', async () => {
  const dir = await tempDir();
  const f = new StagedFile('/a', path.join(dir, 'a'), remote(3), noFetch, { truncate: false });
  const { calls, upload } = recordingUpload();
  assert.equal(await f.commit(upload), undefined);
  assert.equal(calls.length, 0);
  assert.equal(f.state, 'open');
  await f.close();
});

test('a failed commit leaves the file failed, keeps its staging file; a later write makes it dirty again', async () => {
  const f = await newFile();
  await f.write(Buffer.from('data'), 4, 0);
  await assert.rejects(f.commit(failingUpload), (e: unknown) => e instanceof DriveError && e.code === 'ENOSPC');
  assert.equal(f.state, 'failed');
  assert.equal(f.hasUnsentChanges, true);
  await f.write(Buffer.from('more'), 4, 4);
  assert.equal(f.state, 'dirty');
  await assert.rejects(f.commit(failingUpload));
  const { kept } = await f.close();
  assert.equal(kept, true);
  assert.equal(await fs.readFile(f.stagingPath, 'utf8'), 'datamore');
});

test('a failed file may be committed again (fsync/flush retries) and then succeeds', async () => {
  const f = await newFile();
  await f.write(Buffer.from('x'), 1, 0);
  await assert.rejects(f.commit(failingUpload));
  const { calls, upload } = recordingUpload();
  await f.commit(upload);
  assert.deepEqual(calls.map((c) => c.bytes), ['x']);
  assert.equal(f.state, 'committed');
  await f.close();
});

test('a detached file is never uploaded, and its staging file is deleted on close even with unsent bytes', async () => {
  const f = await newFile();
  await f.write(Buffer.from('gone'), 4, 0);
  f.detach();
  await f.write(Buffer.from('!'), 1, 4); // the program may go on writing to its open file
  assert.equal(f.state, 'detached');
  const { calls, upload } = recordingUpload();
  assert.equal(await f.commit(upload), undefined);
  assert.equal(calls.length, 0);
  const { kept } = await f.close();
  assert.equal(kept, false);
  assert.equal(existsSync(f.stagingPath), false);
});

test('a write during a commit waits for it: the upload sees a stable snapshot', async () => {
  const f = await newFile();
  await f.write(Buffer.from('first'), 5, 0);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let seen = '';
  let uploadStarted!: () => void;
  const started = new Promise<void>((r) => (uploadStarted = r));
  const committing = f.commit(async (src) => {
    uploadStarted();
    await gate;
    seen = await readAll(src);
    return remote(src.size, 9000, 'c');
  });
  await started;
  assert.equal(f.state, 'committing');
  assert.throws(() => f.remoteChanged(remote(1)), IllegalTransition);
  let written = false;
  const writing = f.write(Buffer.from('SECOND'), 6, 0).then(() => (written = true));
  // Give the write every chance to run: it must still be queued behind the upload.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(written, false);
  assert.equal(f.size, 5);
  release();
  await committing;
  await writing;
  assert.equal(seen, 'first');
  assert.equal(f.state, 'dirty');
  assert.equal(f.size, 6);
  await f.close();
});

test('a time set while an upload runs is not lost: it stays pending and the file dirty', async () => {
  const f = await newFile();
  await f.write(Buffer.from('a'), 1, 0);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let uploadStarted!: () => void;
  const started = new Promise<void>((r) => (uploadStarted = r));
  const committing = f.commit(async (src, mtimeMs) => {
    uploadStarted();
    await gate;
    return remote(src.size, mtimeMs ?? 1, 'c');
  });
  await started;
  f.setPendingTime(3333);
  release();
  await committing;
  assert.equal(f.state, 'dirty');
  assert.equal(f.pendingMtimeMs, 3333);
  const { calls, upload } = recordingUpload();
  await f.commit(upload);
  assert.equal(calls[0]?.mtimeMs, 3333);
  assert.equal(f.state, 'committed');
  await f.close();
});

test('read-modify-write: the current content is fetched on first need, once, and never for O_TRUNC', async () => {
  const dir = await tempDir();
  let fetches = 0;
  const fetchRemote = async (fh: fs.FileHandle) => {
    fetches++;
    await fh.write(Buffer.from('old content'), 0, 11, 0);
  };
  const f = new StagedFile('/a', path.join(dir, 'a'), remote(11), fetchRemote, { truncate: false });
  assert.equal(fetches, 0);
  await f.write(Buffer.from('NEW'), 3, 0);
  const buf = Buffer.alloc(20);
  const n = await f.read(buf, 20, 0);
  assert.equal(buf.subarray(0, n).toString(), 'NEW content');
  assert.equal(fetches, 1);
  await f.close();

  const t = new StagedFile('/b', path.join(dir, 'b'), remote(11), fetchRemote, { truncate: true });
  await t.write(Buffer.from('x'), 1, 0);
  assert.equal(fetches, 1);
  await t.close();
});

/** A registry over a fake drive whose upload fails until told otherwise. */
async function registry() {
  const uploads: string[] = [];
  const errors: string[] = [];
  const state = { fail: true };
  const writer = {
    async upload(p: string, src: UploadSource) {
      uploads.push(p);
      if (state.fail) throw new DriveError('ENOSPC', 'drive full');
      return { ...remote(src.size, 1, 'up'), name: path.basename(p) };
    },
  };
  const noop = () => undefined;
  const log = { debug: noop, info: noop, warn: noop, error: (_o: unknown, msg: string) => errors.push(msg) };
  const metadata = { put: noop, remove: noop, childChanged: noop };
  const staged = new StagedFiles({
    drive: { name: 'fake', writer, capabilities: {} } as never,
    log: log as never,
    metadata: metadata as never,
    staging: new StagingArea(await tempDir()),
  });
  return { staged, uploads, errors, state };
}

test('registry: a failed commit is not retried on the last close; the staging file is kept and the log names it', async () => {
  const { staged, uploads, errors } = await registry();
  const f = await staged.open('/new.txt', undefined, true);
  await f.write(Buffer.from('bytes'), 5, 0);
  await assert.rejects(staged.commit(f)); // flush
  assert.equal(f.state, 'failed');
  await staged.release(f);
  assert.deepEqual(uploads, ['/new.txt']);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, new RegExp(`kept in ${f.stagingPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(await fs.readFile(f.stagingPath, 'utf8'), 'bytes');
  assert.equal(staged.get('/new.txt'), undefined);
});

test('registry: a dirty file whose close skipped flush is committed on release; rename follows it, unlink detaches', async () => {
  const { staged, uploads, state } = await registry();
  state.fail = false;
  const a = await staged.open('/a.txt', undefined, true);
  await a.write(Buffer.from('a'), 1, 0);
  staged.rename('/a.txt', '/b.txt');
  assert.equal(a.path, '/b.txt');
  assert.equal(staged.get('/b.txt'), a);
  assert.equal(staged.get('/a.txt'), undefined);
  await staged.release(a);
  assert.deepEqual(uploads, ['/b.txt']);
  assert.equal(existsSync(a.stagingPath), false);

  const c = await staged.open('/c.txt', undefined, true);
  await c.write(Buffer.from('c'), 1, 0);
  staged.detach('/c.txt');
  assert.equal(c.state, 'detached');
  await staged.release(c);
  assert.deepEqual(uploads, ['/b.txt']); // nothing uploaded for the unlinked file
  assert.equal(existsSync(c.stagingPath), false);
});

test('registry: a second open shares the file and counts its handle; only the last release closes it', async () => {
  const { staged, uploads, state } = await registry();
  state.fail = false;
  const one = await staged.open('/s.txt', undefined, true);
  const two = await staged.open('/s.txt', remote(0), false);
  assert.equal(one, two);
  assert.equal(one.handles, 2);
  await one.write(Buffer.from('s'), 1, 0);
  await staged.release(one);
  assert.deepEqual(uploads, []);
  assert.equal(staged.get('/s.txt'), one);
  await staged.release(two);
  assert.deepEqual(uploads, ['/s.txt']);
  assert.equal(staged.get('/s.txt'), undefined);
});
