// The same cases for every driver, run in-process against its emulator (no FUSE): what the
// `Drive` interface promises, asserted exactly. Where services differ, the per-driver file says
// so through ConformanceOptions; the suite never guesses.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import type { Drive, DriveWriter, RemoteEntry, UploadSource } from '../../src/drives/types.js';
import { DriveError } from '../../src/util/errors.js';

/** Bytes `[start, end)` of a file, read through the driver's download path. */
export async function readRange(drive: Drive, path: string, entry: RemoteEntry, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of drive.readRange(path, entry, start, end)) parts.push(b);
  return Buffer.concat(parts);
}

export interface ConformanceTarget {
  drive: Drive;
  /** Put a file/folder straight into the emulator's backing folder (the driver has not seen it). */
  seedFile(path: string, bytes: Buffer | string): Promise<void>;
  seedDir(path: string): Promise<void>;
  /** The bytes the emulator holds at `path`, or undefined when no file is there. */
  readBack(path: string): Promise<Buffer | undefined>;
  /** Emulator request counters, where the target exposes them. */
  stats?(): Record<string, number>;
  close(): Promise<void>;
}

export interface ConformanceOptions {
  /** Children the driver asks for per listing page (the suite seeds more than two pages' worth). */
  listPageSize: number;
  /** An upload bigger than the driver's single-request limit or part size. */
  largeUploadBytes: number;
  /** The emulator counter of upload requests, and how many that upload must take (faults are off). */
  largeUploadRequests: { stat: string; count: number };
  /** Names `writer.checkName` must refuse with EINVAL. */
  refusedNames: readonly string[];
  /** Names the service takes as they are (checkName passes, an upload keeps the name). */
  acceptedNames: readonly string[];
  /** The service keeps the modification time a client sets (upload `mtimeMs`, `setModified`). */
  keepsClientTimes: boolean;
  caseInsensitive: boolean;
  /** What `stat('/file/x')` answers on this driver. */
  fileAsFolder: 'ENOENT' | 'ENOTDIR';
  /** Cases known to fail because of the driver or emulator: case title → reason (node:test todo). */
  todo?: Record<string, string>;
}

const isDriveError = (code: string) => (e: unknown) => {
  assert.ok(e instanceof DriveError, `expected a DriveError ${code}, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  return true;
};

function bufferSource(bytes: Buffer): UploadSource {
  return { size: bytes.length, read: async (offset, length) => Buffer.from(bytes.subarray(offset, offset + length)) };
}

/** Name, size and kind of each child, sorted: what a listing must say (a folder's size is the service's business). */
const shape = (entries: Pick<RemoteEntry, 'name' | 'size' | 'isDir'>[]) => entries.map((e) => ({ name: e.name, size: e.isDir ? 0 : e.size, isDir: e.isDir })).sort((a, b) => (a.name < b.name ? -1 : 1));

export function runDriveConformance(name: string, makeTarget: () => Promise<ConformanceTarget>, opts: ConformanceOptions): void {
  describe(`${name} drive conformance`, () => {
    let t: ConformanceTarget;
    let drive: Drive;
    let writer: DriveWriter;
    before(async () => {
      t = await makeTarget();
      drive = t.drive;
      assert.ok(drive.writer, `${name}: the driver has a writer`);
      writer = drive.writer;
    });
    after(async () => {
      await t?.close();
    });

    // Every case works in a folder of its own, so a driver's path → id memory never goes stale.
    const tcase = (title: string, fn: (dir: string) => Promise<void>) => {
      const dir = '/' + title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
      const todo = opts.todo?.[title];
      test(title, todo ? { todo } : {}, () => fn(dir));
    };
    /** A seeded file as the driver lists it (listing first, as the VFS does). */
    const seeded = async (path: string, bytes: Buffer | string): Promise<RemoteEntry> => {
      await t.seedFile(path, bytes);
      return drive.stat(path);
    };

    describe('listing', () => {
      tcase('list of an empty folder is empty', async (dir) => {
        await t.seedDir(dir);
        assert.deepEqual(await drive.list(dir), []);
      });

      tcase('list follows every page: each child exactly once, with its size and kind', async (dir) => {
        const files = 2 * opts.listPageSize + 50;
        const expected: { name: string; size: number; isDir: boolean }[] = [];
        for (let i = 0; i < files; i++) {
          const n = `f${String(i).padStart(5, '0')}.txt`;
          await t.seedFile(`${dir}/${n}`, 'x'.repeat(i % 7));
          expected.push({ name: n, size: i % 7, isDir: false });
        }
        for (const d of ['sub-a', 'sub-b']) {
          await t.seedDir(`${dir}/${d}`);
          expected.push({ name: d, size: 0, isDir: true });
        }
        const got = await drive.list(dir);
        assert.equal(got.length, expected.length);
        assert.equal(new Set(got.map((e) => e.id)).size, got.length, 'ids are distinct');
        assert.deepEqual(shape(got), shape(expected));
      });

      tcase('list of an absent folder is ENOENT', async (dir) => {
        await t.seedDir(dir);
        await assert.rejects(drive.list(`${dir}/absent`), isDriveError('ENOENT'));
      });
    });

    describe('stat', () => {
      tcase('stat of a file', async (dir) => {
        await t.seedFile(`${dir}/file.txt`, 'hello');
        const e = await drive.stat(`${dir}/file.txt`);
        assert.equal(e.name, 'file.txt');
        assert.equal(e.isDir, false);
        assert.equal(e.size, 5);
        assert.ok(e.id.length > 0);
        assert.equal(typeof e.mtimeMs, 'number');
      });

      tcase('stat of a folder', async (dir) => {
        await t.seedFile(`${dir}/sub/inner.txt`, 'abc');
        const e = await drive.stat(`${dir}/sub`);
        assert.equal(e.name, 'sub');
        assert.equal(e.isDir, true);
      });

      tcase('stat of the root', async () => {
        const e = await drive.stat('/');
        assert.equal(e.isDir, true);
        assert.ok(e.id.length > 0);
      });

      tcase('stat of an absent path is ENOENT', async (dir) => {
        await t.seedDir(dir);
        await assert.rejects(drive.stat(`${dir}/absent.txt`), isDriveError('ENOENT'));
        await assert.rejects(drive.stat(`${dir}/absent/deeper.txt`), isDriveError('ENOENT'));
      });

      tcase(`stat of a path below a file is ${opts.fileAsFolder}`, async (dir) => {
        await seeded(`${dir}/file.txt`, 'hello');
        await assert.rejects(drive.stat(`${dir}/file.txt/x`), isDriveError(opts.fileAsFolder));
      });

      // stat is a POSIX lookup on every driver: only the exact name. Whether the service's names
      // ignore case shows in what a case twin does: refused where they do, a second item where not.
      tcase(`stat finds only the exact name; a case twin is ${opts.caseInsensitive ? 'EEXIST' : 'a separate item'}`, async (dir) => {
        assert.equal(drive.capabilities.caseInsensitive, opts.caseInsensitive);
        await t.seedDir(`${dir}/Mixed`);
        assert.equal((await drive.stat(`${dir}/Mixed`)).isDir, true);
        await assert.rejects(drive.stat(`${dir}/MIXED`), isDriveError('ENOENT'));
        if (opts.caseInsensitive) {
          await assert.rejects(writer.mkdir(`${dir}/MIXED`), isDriveError('EEXIST'));
          assert.deepEqual(shape(await drive.list(dir)).map((e) => e.name), ['Mixed']);
        } else {
          await writer.mkdir(`${dir}/MIXED`);
          assert.deepEqual(shape(await drive.list(dir)).map((e) => e.name), ['MIXED', 'Mixed']);
        }
      });
    });

    describe('content reads', () => {
      const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) % 256));

      tcase('read of a whole file, a middle range, the last byte and an arbitrary range', async (dir) => {
        const e = await seeded(`${dir}/data.bin`, data);
        assert.equal(e.size, data.length);
        assert.ok((await readRange(drive, `${dir}/data.bin`, e, 0, data.length)).equals(data), 'whole file');
        assert.ok((await readRange(drive, `${dir}/data.bin`, e, 40_000, 60_000)).equals(data.subarray(40_000, 60_000)), 'middle');
        assert.ok((await readRange(drive, `${dir}/data.bin`, e, data.length - 1, data.length)).equals(data.subarray(-1)), 'last byte');
        assert.ok((await readRange(drive, `${dir}/data.bin`, e, 0, 1)).equals(data.subarray(0, 1)), 'first byte');
        assert.ok((await readRange(drive, `${dir}/data.bin`, e, 12_345, 54_321)).equals(data.subarray(12_345, 54_321)), 'arbitrary');
      });

      tcase('read of a zero-length file gives no bytes', async (dir) => {
        const e = await seeded(`${dir}/empty.bin`, Buffer.alloc(0));
        assert.equal(e.size, 0);
        assert.equal((await readRange(drive, `${dir}/empty.bin`, e, 0, 0)).length, 0);
      });
    });

    describe('uploads', () => {
      /** Upload, then check the returned entry, stat, the listing and the stored bytes agree. */
      const uploadAndCheck = async (path: string, bytes: Buffer, o: { replaces?: RemoteEntry } = {}): Promise<RemoteEntry> => {
        const up = await writer.upload(path, bufferSource(bytes), o);
        assert.equal(up.size, bytes.length, 'upload answer size');
        assert.equal(up.isDir, false);
        const st = await drive.stat(path);
        assert.equal(st.size, bytes.length, 'stat size');
        if (!drive.capabilities.writeIdsProvisional) assert.equal(st.id, up.id, 'stat finds the uploaded item');
        const parent = path.slice(0, path.lastIndexOf('/')) || '/';
        const name = path.slice(path.lastIndexOf('/') + 1);
        const listed = (await drive.list(parent)).filter((e) => e.name === name);
        assert.equal(listed.length, 1, 'one entry of that name');
        assert.equal(listed[0]!.size, bytes.length, 'listed size');
        const stored = await t.readBack(path);
        assert.ok(stored && stored.equals(bytes), 'stored bytes equal what was uploaded');
        return st;
      };

      tcase('upload of a small file', async (dir) => {
        await t.seedDir(dir);
        const e = await uploadAndCheck(`${dir}/small.txt`, Buffer.from('hello, world'));
        assert.ok((await readRange(drive, `${dir}/small.txt`, e, 0, e.size)).equals(Buffer.from('hello, world')));
      });

      tcase('upload of an empty file', async (dir) => {
        await t.seedDir(dir);
        const e = await uploadAndCheck(`${dir}/empty.txt`, Buffer.alloc(0));
        assert.equal((await readRange(drive, `${dir}/empty.txt`, e, 0, 0)).length, 0);
      });

      tcase('upload into an absent folder is ENOENT and stores nothing', async (dir) => {
        await t.seedDir(dir);
        await assert.rejects(writer.upload(`${dir}/absent/x.txt`, bufferSource(Buffer.from('x')), {}), isDriveError('ENOENT'));
        assert.deepEqual(await drive.list(dir), []);
      });

      tcase('upload of a file larger than one request or part', async (dir) => {
        await t.seedDir(dir);
        const bytes = randomBytes(opts.largeUploadBytes);
        const before = t.stats?.()[opts.largeUploadRequests.stat];
        const e = await uploadAndCheck(`${dir}/large.bin`, bytes);
        if (before !== undefined) {
          const requests = t.stats!()[opts.largeUploadRequests.stat]! - before;
          assert.equal(requests, opts.largeUploadRequests.count, `${opts.largeUploadRequests.stat} requests`);
        }
        const tail = await readRange(drive, `${dir}/large.bin`, e, bytes.length - 1000, bytes.length);
        assert.ok(tail.equals(bytes.subarray(-1000)), 'the last bytes read back through the driver');
      });

      tcase('upload replacing an existing file', async (dir) => {
        const old = await seeded(`${dir}/r.txt`, 'the old, longer content');
        const e = await uploadAndCheck(`${dir}/r.txt`, Buffer.from('new'), { replaces: old });
        assert.deepEqual(shape(await drive.list(dir)), [{ name: 'r.txt', size: 3, isDir: false }]);
        assert.ok((await readRange(drive, `${dir}/r.txt`, e, 0, 3)).equals(Buffer.from('new')));
      });
    });

    describe('folders and moves', () => {
      tcase('mkdir makes an empty folder', async (dir) => {
        await t.seedDir(dir);
        const e = await writer.mkdir(`${dir}/new`);
        assert.equal(e.isDir, true);
        assert.equal(e.name, 'new');
        const st = await drive.stat(`${dir}/new`);
        assert.equal(st.isDir, true);
        if (!drive.capabilities.writeIdsProvisional) assert.equal(st.id, e.id);
        assert.deepEqual(await drive.list(`${dir}/new`), []);
      });

      tcase('mkdir of an existing name is EEXIST', async (dir) => {
        await t.seedDir(`${dir}/taken`);
        await t.seedFile(`${dir}/file.txt`, 'x');
        await drive.list(dir);
        await assert.rejects(writer.mkdir(`${dir}/taken`), isDriveError('EEXIST'));
        await assert.rejects(writer.mkdir(`${dir}/file.txt`), isDriveError('EEXIST'));
        assert.deepEqual(shape(await drive.list(dir)), [{ name: 'file.txt', size: 1, isDir: false }, { name: 'taken', size: 0, isDir: true }]);
      });

      tcase('rename within a folder', async (dir) => {
        const e = await seeded(`${dir}/a.txt`, 'abc');
        const moved = await writer.move(`${dir}/a.txt`, e, `${dir}/b.txt`, {});
        assert.equal(moved.name, 'b.txt');
        assert.equal(moved.id, e.id);
        assert.deepEqual(shape(await drive.list(dir)), [{ name: 'b.txt', size: 3, isDir: false }]);
        assert.equal(await t.readBack(`${dir}/a.txt`), undefined);
        assert.deepEqual(await t.readBack(`${dir}/b.txt`), Buffer.from('abc'));
      });

      tcase('move into another folder', async (dir) => {
        await t.seedDir(`${dir}/to`);
        const e = await seeded(`${dir}/from/f.txt`, 'abc');
        await drive.list(`${dir}/to`);
        const moved = await writer.move(`${dir}/from/f.txt`, e, `${dir}/to/f.txt`, {});
        assert.equal(moved.name, 'f.txt');
        assert.deepEqual(await drive.list(`${dir}/from`), []);
        assert.deepEqual(shape(await drive.list(`${dir}/to`)), [{ name: 'f.txt', size: 3, isDir: false }]);
        assert.deepEqual(await t.readBack(`${dir}/to/f.txt`), Buffer.from('abc'));
      });

      tcase('move into another folder under a new name', async (dir) => {
        await t.seedDir(`${dir}/to`);
        const e = await seeded(`${dir}/from/f.txt`, 'abc');
        await drive.list(`${dir}/to`);
        const moved = await writer.move(`${dir}/from/f.txt`, e, `${dir}/to/g.txt`, {});
        assert.equal(moved.name, 'g.txt');
        assert.deepEqual(await drive.list(`${dir}/from`), []);
        assert.deepEqual(shape(await drive.list(`${dir}/to`)), [{ name: 'g.txt', size: 3, isDir: false }]);
        assert.deepEqual(await t.readBack(`${dir}/to/g.txt`), Buffer.from('abc'));
      });

      tcase('move onto an existing file replaces it', async (dir) => {
        await t.seedFile(`${dir}/dst.txt`, 'the old target');
        const src = await seeded(`${dir}/src.txt`, 'new!');
        const target = await drive.stat(`${dir}/dst.txt`);
        const moved = await writer.move(`${dir}/src.txt`, src, `${dir}/dst.txt`, { replaces: target });
        assert.equal(moved.name, 'dst.txt');
        assert.equal(moved.size, 4);
        assert.deepEqual(shape(await drive.list(dir)), [{ name: 'dst.txt', size: 4, isDir: false }]);
        assert.equal(await t.readBack(`${dir}/src.txt`), undefined);
        assert.deepEqual(await t.readBack(`${dir}/dst.txt`), Buffer.from('new!'));
      });

      tcase('move of a folder takes its children', async (dir) => {
        await t.seedDir(`${dir}/into`);
        await t.seedFile(`${dir}/folder/child.txt`, 'child');
        const e = await drive.stat(`${dir}/folder`);
        await drive.list(`${dir}/folder`);
        await drive.list(`${dir}/into`);
        const moved = await writer.move(`${dir}/folder`, e, `${dir}/into/renamed`, {});
        assert.equal(moved.isDir, true);
        assert.equal(moved.name, 'renamed');
        assert.deepEqual(shape(await drive.list(dir)), [{ name: 'into', size: 0, isDir: true }]);
        assert.deepEqual(shape(await drive.list(`${dir}/into/renamed`)), [{ name: 'child.txt', size: 5, isDir: false }]);
        await assert.rejects(drive.stat(`${dir}/folder`), isDriveError('ENOENT'));
        assert.deepEqual(await t.readBack(`${dir}/into/renamed/child.txt`), Buffer.from('child'));
      });

      tcase('remove of a file', async (dir) => {
        const e = await seeded(`${dir}/gone.txt`, 'bye');
        await t.seedFile(`${dir}/stays.txt`, 'hi');
        await writer.remove(`${dir}/gone.txt`, e);
        await assert.rejects(drive.stat(`${dir}/gone.txt`), isDriveError('ENOENT'));
        assert.deepEqual(shape(await drive.list(dir)), [{ name: 'stays.txt', size: 2, isDir: false }]);
        assert.equal(await t.readBack(`${dir}/gone.txt`), undefined);
      });

      tcase('remove of a folder with its children', async (dir) => {
        await t.seedFile(`${dir}/folder/a.txt`, 'a');
        await t.seedFile(`${dir}/folder/deeper/b.txt`, 'b');
        const e = await drive.stat(`${dir}/folder`);
        await writer.remove(`${dir}/folder`, e);
        await assert.rejects(drive.stat(`${dir}/folder`), isDriveError('ENOENT'));
        assert.deepEqual(await drive.list(dir), []);
        assert.equal(await t.readBack(`${dir}/folder/a.txt`), undefined);
      });
    });

    describe('times', () => {
      // A time well away from now, with milliseconds, so a kept time cannot be a coincidence.
      const clientTime = Date.UTC(2001, 1, 3, 4, 5, 6, 789);

      test('setModified is offered exactly where client times are kept', () => {
        assert.equal(typeof writer.setModified === 'function', opts.keepsClientTimes);
      });

      if (opts.keepsClientTimes) {
        tcase('setModified shows in stat and list to the second', async (dir) => {
          const e = await seeded(`${dir}/t.txt`, 'abc');
          const got = await writer.setModified!(`${dir}/t.txt`, e, clientTime);
          assert.ok(Math.abs(got.mtimeMs - clientTime) < 1000, `answer ${new Date(got.mtimeMs).toISOString()}`);
          assert.ok(Math.abs((await drive.stat(`${dir}/t.txt`)).mtimeMs - clientTime) < 1000, 'stat');
          const listed = (await drive.list(dir)).find((x) => x.name === 't.txt')!;
          assert.ok(Math.abs(listed.mtimeMs - clientTime) < 1000, 'list');
          assert.equal(listed.size, 3, 'the content is untouched');
        });
      }

      tcase(`upload mtimeMs is ${opts.keepsClientTimes ? 'kept' : 'not kept (service time)'}`, async (dir) => {
        await t.seedDir(dir);
        const up = await writer.upload(`${dir}/u.txt`, bufferSource(Buffer.from('abc')), { mtimeMs: clientTime });
        const st = await drive.stat(`${dir}/u.txt`);
        for (const [what, ms] of [['answer', up.mtimeMs], ['stat', st.mtimeMs]] as const) {
          const kept = Math.abs(ms - clientTime) < 1000;
          assert.equal(kept, opts.keepsClientTimes, `${what}: ${new Date(ms).toISOString()}`);
        }
      });
    });

    describe('space and names', () => {
      tcase('quota gives numbers with used ≤ total', async () => {
        const q = await drive.quota();
        assert.equal(typeof q.total, 'number');
        assert.equal(typeof q.used, 'number');
        assert.ok(q.used! >= 0 && q.used! <= q.total!, JSON.stringify(q));
        if (q.free !== undefined) assert.equal(q.free, q.total! - q.used!);
      });

      tcase('checkName refuses the names the service refuses, with EINVAL', async (dir) => {
        for (const n of opts.refusedNames) assert.throws(() => writer.checkName(`${dir}/${n}`), isDriveError('EINVAL'), n);
        assert.doesNotThrow(() => writer.checkName(`${dir}/plain name.txt`));
      });

      tcase('names the service takes are kept as they are', async (dir) => {
        await t.seedDir(dir);
        for (const n of opts.acceptedNames) {
          assert.doesNotThrow(() => writer.checkName(`${dir}/${n}`), n);
          const up = await writer.upload(`${dir}/${n}`, bufferSource(Buffer.from(n)), {});
          assert.equal(up.name, n);
          assert.deepEqual(await t.readBack(`${dir}/${n}`), Buffer.from(n));
        }
        assert.deepEqual(shape(await drive.list(dir)).map((e) => e.name), [...opts.acceptedNames].sort());
      });
    });

    // Last, over everything above: the driver stays within the service's limits on its own.
    test('no call of the whole run was throttled', (ctx) => {
      if (!t.stats) return ctx.skip('the target exposes no emulator counters');
      assert.equal(t.stats().throttled, 0);
    });
  });
}
