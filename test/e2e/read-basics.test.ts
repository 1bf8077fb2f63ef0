import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, sh, exec, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const MANY = 5000;
let drive: DriveFixture;
let m: MountFixture;

before(async () => {
  drive = await startDrive({
    seed: async (root) => {
      await fs.mkdir(path.join(root, 'docs', 'deep', 'deeper'), { recursive: true });
      await fs.writeFile(path.join(root, 'hello.txt'), 'hello, world\n');
      await fs.writeFile(path.join(root, 'docs', 'deep', 'deeper', 'leaf.txt'), 'leaf\n');
      await fs.writeFile(path.join(root, 'docs', 'name with spaces #1 & 50%.txt'), 'odd\n');
      await fs.writeFile(path.join(root, 'empty.bin'), '');
      const many = path.join(root, 'many');
      await fs.mkdir(many);
      for (let i = 0; i < MANY; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => fs.writeFile(path.join(many, `f${String(i + j).padStart(5, '0')}.txt`), `${i + j}\n`)));
      }
      // A known modification time, to check that stat shows the service's time.
      await fs.utimes(path.join(root, 'hello.txt'), new Date('2024-05-06T07:08:09Z'), new Date('2024-05-06T07:08:09Z'));
    },
  });
  m = await mount(drive, ['--read-only']);
});

after(async () => {
  await m?.unmount();
  await drive?.close();
});

test('ls -l of a 5,000-entry folder costs its listing pages and no call per file', async () => {
  await drive.resetStats();
  const r = await sh(`ls -l ${m.mnt}/many`);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('-'));
  assert.equal(lines.length, MANY);
  assert.match(lines[0]!, / f00000\.txt$/);
  const s = await drive.stats();
  // 5,000 children at $top=1000 → 5 pages; the folder itself may be looked up once (plus the root).
  assert.equal(s.children, 5, `children pages: ${JSON.stringify(s)}`);
  assert.ok((s.item ?? 0) <= 2, `per-file item lookups happened: ${JSON.stringify(s)}`);
  assert.ok((s.api ?? 0) <= 8, `API calls for ls -l: ${JSON.stringify(s)}`);
});

test('a repeated ls -l within the cache time costs no API call', async () => {
  await sh(`ls -l ${m.mnt}/many > /dev/null`);
  await drive.resetStats();
  const r = await sh(`ls -l ${m.mnt}/many | wc -l`);
  assert.equal(r.code, 0);
  const s = await drive.stats();
  assert.equal(s.api ?? 0, 0, JSON.stringify(s));
});

test('stat shows size, type and the service modification time', async () => {
  const st = await fs.stat(path.join(m.mnt, 'hello.txt'));
  assert.equal(st.size, 13);
  assert.ok(st.isFile());
  assert.equal(st.mtime.toISOString(), '2024-05-06T07:08:09.000Z');
  const dir = await fs.stat(path.join(m.mnt, 'docs'));
  assert.ok(dir.isDirectory());
  const empty = await fs.stat(path.join(m.mnt, 'empty.bin'));
  assert.equal(empty.size, 0);
});

test('cat reads small files, nested folders and odd names', async () => {
  assert.equal(await fs.readFile(path.join(m.mnt, 'hello.txt'), 'utf8'), 'hello, world\n');
  assert.equal(await fs.readFile(path.join(m.mnt, 'docs/deep/deeper/leaf.txt'), 'utf8'), 'leaf\n');
  const r = await sh(`cat "${m.mnt}/docs/name with spaces #1 & 50%.txt"`);
  assert.equal(r.stdout, 'odd\n');
  assert.equal(await fs.readFile(path.join(m.mnt, 'empty.bin'), 'utf8'), '');
});

test('a missing path is ENOENT, and asking again soon costs no API call', async () => {
  await assert.rejects(fs.stat(path.join(m.mnt, 'docs', 'nope.txt')), { code: 'ENOENT' });
  await drive.resetStats();
  await assert.rejects(fs.stat(path.join(m.mnt, 'docs', 'nope.txt')), { code: 'ENOENT' });
  await assert.rejects(fs.stat(path.join(m.mnt, 'no-such-folder', 'x')), { code: 'ENOENT' });
  const s = await drive.stats();
  assert.ok((s.api ?? 0) <= 1, JSON.stringify(s));
});

test('a read-only mount refuses every change with EROFS', async () => {
  await assert.rejects(fs.writeFile(path.join(m.mnt, 'new.txt'), 'x'), { code: 'EROFS' });
  await assert.rejects(fs.appendFile(path.join(m.mnt, 'hello.txt'), 'x'), { code: 'EROFS' });
  await assert.rejects(fs.mkdir(path.join(m.mnt, 'newdir')), { code: 'EROFS' });
  await assert.rejects(fs.unlink(path.join(m.mnt, 'hello.txt')), { code: 'EROFS' });
  await assert.rejects(fs.rename(path.join(m.mnt, 'hello.txt'), path.join(m.mnt, 'x.txt')), { code: 'EROFS' });
  const r = await sh(`touch ${m.mnt}/hello.txt`);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Read-only file system/);
  assert.equal(await fs.readFile(path.join(drive.root, 'hello.txt'), 'utf8'), 'hello, world\n');
});

test('df shows the drive quota', async () => {
  const { stdout } = await exec('df', ['-B1', '--output=size,avail', m.mnt]);
  const [size, avail] = stdout.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
  assert.ok(size! > 0, stdout);
  assert.ok(avail! > 0 && avail! <= size!, stdout);
});

test('download links never carry an Authorization header', async () => {
  await fs.readFile(path.join(m.mnt, 'hello.txt'));
  const s = await drive.stats();
  assert.equal(s.downloadWithAuthorization ?? 0, 0);
});

test('readdir tells folders from files (d_type), so a walker such as find needs no stat per name', async () => {
  // Python's ctypes readdir shows the d_type the kernel got from the mount, with no stat behind it
  // (Node and os.scandir stat a DT_UNKNOWN name themselves and would hide its absence).
  const py = `
import ctypes, sys
class D(ctypes.Structure):
    _fields_ = [('ino', ctypes.c_uint64), ('off', ctypes.c_int64), ('reclen', ctypes.c_ushort), ('type', ctypes.c_ubyte), ('name', ctypes.c_char * 256)]
libc = ctypes.CDLL(None)
libc.opendir.restype = ctypes.c_void_p
libc.readdir64.restype = ctypes.POINTER(D)
libc.readdir64.argtypes = [ctypes.c_void_p]
d = libc.opendir(sys.argv[1].encode())
while True:
    e = libc.readdir64(d)
    if not e: break
    print(e.contents.type, e.contents.name.decode())
`;
  const { stdout } = await exec('python3', ['-c', py, path.join(m.mnt, 'docs')]);
  const types = new Map(stdout.trim().split('\n').map((l) => [l.slice(l.indexOf(' ') + 1), Number(l.split(' ')[0])]));
  const DT_DIR = 4;
  const DT_REG = 8;
  assert.equal(types.get('deep'), DT_DIR, stdout);
  assert.equal(types.get('name with spaces #1 & 50%.txt'), DT_REG, stdout);
});
