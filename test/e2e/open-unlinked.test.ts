// Files removed while a program still has them open, on real mounts of every service, with
// real programs: the name goes at once (also on the service), the open descriptor keeps
// working, and nothing is uploaded for a file that no longer has a name (no `.fuse_hidden…`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, SERVICES, type DriveFixture, type MountFixture, type Service } from '../helpers/harness.js';
import { q, ok, filesIn } from './write-helpers.js';

const fixtures: { d?: DriveFixture; m?: MountFixture }[] = [];
after(async () => {
  for (const f of fixtures) {
    await f.m?.unmount();
    await f.d?.close();
  }
});

async function setup(service: Service) {
  const f: (typeof fixtures)[number] = {};
  fixtures.push(f);
  f.d = await startDrive({
    service,
    seed: async (root) => {
      await fs.writeFile(path.join(root, 'read.txt'), 'read me\n');
      await fs.mkdir(path.join(root, 'dir'));
    },
  });
  const cache = path.join(f.d.tmp, 'cache');
  f.m = await mount(f.d, ['--cache-dir', cache]);
  return { d: f.d, m: f.m, M: f.m.mnt, R: f.d.root, cache };
}

/** Every path below the service's folder (a `.fuse_hidden…` upload would show here). */
async function everything(root: string): Promise<string[]> {
  return (await ok(`cd ${q(root)} && find . -mindepth 1 | LC_ALL=C sort`)).split('\n').filter(Boolean);
}

for (const service of SERVICES) {
  test(`${service}: a file removed while open for writing is still read and written through its descriptor, and never uploaded`, async () => {
    const { M, R, cache, m } = await setup(service);
    const out = await ok(
      `cd ${q(M)} && exec 3<>open.txt && echo abc >&3 && rm open.txt && ! test -e open.txt && ls -A && ` +
        `echo more >&3 && cat /proc/self/fd/3 && ` +
        `python3 -c 'import os; st = os.fstat(3); print("size", st.st_size, "links", st.st_nlink); print(os.pread(3, 100, 0))'`,
    );
    assert.equal(out, 'dir\nread.txt\nabc\nmore\nsize 9 links 0\nb\'abc\\nmore\\n\'\n');
    assert.deepEqual(await everything(R), ['./dir', './read.txt']);
    assert.deepEqual(await filesIn(cache), [], 'the staging file goes with the last close');
    assert.doesNotMatch(m.log(), /fuse_hidden.*"msg":"committed"|"level":50/);
  });

  test(`${service}: rm -r of a folder holding a file a program still has open: the folder and the file go at once, the descriptor keeps working, nothing is uploaded`, async () => {
    const { M, R, cache, m } = await setup(service);
    // `exec 3>f; echo x >&3; rm -r dir; ls`: the file then has no path in libfuse at all; its
    // descriptor still takes writes (read back with pread), which go nowhere.
    const r = await ok(
      `cd ${q(M)} && exec 3<>dir/f && echo x >&3 && rm -r dir && ls -A && echo y >&3 && ` +
        `python3 -c 'import os; print(os.pread(3, 100, 0))' && exec 3>&- && ls -A`,
    );
    assert.equal(r, "read.txt\nb'x\\ny\\n'\nread.txt\n");
    assert.doesNotMatch(m.log(), /fuse_hidden.*"msg":"committed"|"level":50/);
    assert.deepEqual(await everything(R), ['./read.txt']);
    assert.deepEqual(await filesIn(cache), []);
  });

  test(`${service}: a file removed while open for reading is gone from the service; fstat on the descriptor still works`, async () => {
    const { M, R } = await setup(service);
    const out = await ok(
      `cd ${q(M)} && exec 3<read.txt && rm read.txt && ! test -e read.txt && ` +
        `python3 -c 'import os; st = os.fstat(3); print(st.st_size, st.st_nlink)'`,
    );
    assert.equal(out, '8 0\n');
    assert.deepEqual(await everything(R), ['./dir']);
  });
}
