// Mount options as the kernel and libfuse get them: the binding's -o string, the shown owner and
// modes, the shell-free unmount, and the mapping of mount(8) helper options to drivemount flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindingOptions, fuseOptionString, type MountOptions } from '../../src/fuse/mount.js';
import { loadFuse } from '../../src/fuse/binding.js';
import { toStat } from '../../src/fuse/attrs.js';
import { shownOwner } from '../../src/cli/owner-options.js';
import { helperFlags, parseHelperArgs } from '../../src/cli/mount-helper.js';
import type { RemoteEntry } from '../../src/drives/types.js';

const BASE: MountOptions = {
  mountpoint: '/nonexistent/mnt',
  fsName: 'drivemount:od',
  readOnly: false,
  readAheadKb: 128,
  attrTimeoutSec: 1,
  allowOther: false,
  debug: false,
  bigWrites: true,
};

/** The single `-o` argument the binding hands to libfuse for these options (nothing is mounted). */
function dashO(o: MountOptions): string[] {
  const Fuse = loadFuse();
  const f = new Fuse(o.mountpoint, {}, bindingOptions(o)) as unknown as { _fuseOptions(): string };
  const s = f._fuseOptions();
  assert.ok(s.startsWith('-o'), s);
  return s.slice(2).split(',');
}

test('--attr-timeout 0 reaches libfuse as attr_timeout=0 and entry_timeout=0', () => {
  const opts = dashO({ ...BASE, attrTimeoutSec: 0 });
  assert.ok(opts.includes('attr_timeout=0'), opts.join(','));
  assert.ok(opts.includes('entry_timeout=0'), opts.join(','));
  assert.ok(fuseOptionString({ ...BASE, attrTimeoutSec: 2.5 }).split(',').includes('attr_timeout=2.5'));
  // One value per option: libfuse must not see a second, different attr_timeout.
  assert.equal(dashO({ ...BASE, attrTimeoutSec: 3 }).filter((x) => x.startsWith('attr_timeout=')).length, 1);
});

test('--allow-other mounts with default_permissions, so the kernel enforces the shown modes', () => {
  const opts = dashO({ ...BASE, allowOther: true });
  assert.ok(opts.includes('allow_other'), opts.join(','));
  assert.ok(opts.includes('default_permissions'), opts.join(','));
  const own = dashO(BASE);
  assert.ok(!own.includes('allow_other') && !own.includes('default_permissions'), own.join(','));
});

const file: RemoteEntry = { id: 'f', name: 'a.txt', isDir: false, size: 5, mtimeMs: 0, birthtimeMs: 0 };
const dir: RemoteEntry = { ...file, id: 'd', name: 'd', isDir: true, size: 0 };

test('stat shows the --uid/--gid owner and modes 0666/0777 less the --umask', () => {
  const o = { uid: 1234, gid: 5678, umask: 0o027, readOnly: false };
  assert.deepEqual([toStat(file, o).mode & 0o7777, toStat(file, o).uid, toStat(file, o).gid], [0o640, 1234, 5678]);
  assert.equal(toStat(dir, o).mode & 0o7777, 0o750);
  assert.equal(toStat(file, { ...o, umask: 0o022 }).mode & 0o7777, 0o644);
  assert.equal(toStat(dir, { ...o, umask: 0o022 }).mode & 0o7777, 0o755);
  assert.equal(toStat(file, { ...o, umask: 0o002, readOnly: true }).mode & 0o7777, 0o444);
});

test('--uid/--gid/--umask default to the mounting user and the process umask; bad values are refused', () => {
  const mask = process.umask();
  assert.deepEqual(shownOwner({}), { uid: process.getuid!(), gid: process.getgid!(), umask: mask });
  assert.deepEqual(shownOwner({ uid: '65534', gid: '100', umask: '0027' }), { uid: 65534, gid: 100, umask: 0o027 });
  assert.throws(() => shownOwner({ uid: 'nobody' }), /--uid takes a numeric id/);
  assert.throws(() => shownOwner({ gid: '-1' }), /--gid takes a numeric id/);
  assert.throws(() => shownOwner({ umask: '9' }), /--umask takes octal/);
  assert.throws(() => shownOwner({ umask: '1777' }), /--umask takes octal/);
});

test("the binding's unmount runs fusermount without a shell", async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'drivemount-unmount-'));
  try {
    const marker = path.join(tmp, 'pwned');
    const Fuse = loadFuse();
    // Not mounted, so fusermount fails; through a shell the $(...) would have run first.
    const err = await new Promise<Error | null>((resolve) => Fuse.unmount(path.join(tmp, `x$(touch ${marker})`), resolve));
    assert.ok(err, 'fusermount should fail on a path that is not mounted');
    assert.equal(existsSync(marker), false, 'the mountpoint name was run as a command');
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('mount helper: arguments as mount(8) and mount.fuse pass them', () => {
  assert.deepEqual(parseHelperArgs(['od:', '/mnt/od', '-o', 'rw,allow_other,dev,suid']), {
    source: 'od:',
    mountpoint: '/mnt/od',
    options: ['rw', 'allow_other', 'dev', 'suid'],
    sloppy: false,
    fake: false,
  });
  const lib = parseHelperArgs(['od:/docs', '/mnt/od', '-sv', '-o', 'ro', '-t', 'fuse.drivemount', '-o', 'uid=1']);
  assert.deepEqual([lib.options, lib.sloppy, lib.fake], [['ro', 'uid=1'], true, false]);
  assert.equal(parseHelperArgs(['od:', '/m', '-f']).fake, true);
  assert.throws(() => parseHelperArgs(['od:']), /usage/);
  assert.throws(() => parseHelperArgs(['od:', '/m', '--bogus']), /unexpected argument/);
});

test('mount helper: -o options map to drivemount flags; generic ones are dropped', () => {
  const flags = helperFlags(
    'rw,nodev,nosuid,dev,suid,noauto,_netdev,user,x-systemd.automount,x-systemd.idle-timeout=60,allow_other,uid=1000,gid=100,umask=027,ro,config=/etc/dm.json,cache_dir=/var/cache/dm,attr_timeout=0'.split(','),
  );
  assert.deepEqual(flags, [
    '--allow-other',
    '--uid', '1000',
    '--gid', '100',
    '--umask', '027',
    '--read-only',
    '--config', '/etc/dm.json',
    '--cache-dir', '/var/cache/dm',
    '--attr-timeout', '0',
  ]);
  assert.deepEqual(helperFlags(['dir_cache_time=0', 'log_file=/tmp/x.log']), ['--dir-cache-time', '0', '--log-file', '/tmp/x.log']);
  assert.throws(() => helperFlags(['vfs_cache_mode=full']), /unknown mount option "vfs_cache_mode=full"/);
  assert.throws(() => helperFlags(['uid']), /uid needs a value/);
  assert.throws(() => helperFlags(['allow_other=1']), /unknown mount option/);
  assert.deepEqual(helperFlags(['vfs_cache_mode=full', 'ro'], true), ['--read-only']);
});

test('noexec in fstab is kept (reaches libfuse), -N is refused, and a backslash in the remote name cannot swallow the next option', () => {
  assert.deepEqual(helperFlags(['noexec', 'exec']), ['--noexec']);
  assert.ok(dashO({ ...BASE, noexec: true }).includes('noexec'));
  assert.ok(!dashO(BASE).includes('noexec'));
  assert.throws(() => parseHelperArgs(['od:', '/mnt/od', '-N', '/proc/1/ns/mnt']), /-N/);
  const opts = dashO({ ...BASE, fsName: 'drivemount:x\\' });
  assert.ok(opts.includes('big_writes') && opts.includes('max_background=8'), opts.join(','));
  assert.ok(!opts.join(',').includes('\\'), opts.join(','));
});
