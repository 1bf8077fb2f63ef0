// Mount options through real FUSE mounts: --allow-other with the kernel checking the shown modes
// (tried as user nobody), --uid/--gid/--umask, --attr-timeout 0, unmounting at mountpoints with
// shell characters in their names, and mounting the way mount(8) and /etc/fstab do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { startDrive, mount, sh, exec, waitFor, MAIN, type DriveFixture } from '../helpers/harness.js';
import { q, sleep } from './write-helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/', import.meta.url));
const NOBODY = 65534;
/** Run a shell command line as another user, without root's supplementary groups. */
const as = (uid: number, cmd: string) => sh(`setpriv --reuid=${uid} --regid=${uid} --clear-groups sh -c ${q(cmd)}`);

let drive: DriveFixture;
/** A folder other users may pass through (mkdtemp's folders are 0700). */
let shared: string;

// Mounts and background daemons started here must not outlive the run.
const leftovers: { mnt: string; pid?: number }[] = [];
process.on('exit', () => {
  for (const l of leftovers) {
    try {
      if (isMounted(l.mnt)) execFileSync('fusermount', ['-uz', l.mnt]);
    } catch {
      /* best effort */
    }
    if (l.pid && alive(l.pid)) process.kill(l.pid, 'SIGKILL');
  }
});

/** Whether `mnt` is a mount point; /proc/mounts writes blanks (and tabs, newlines, backslashes) as octal escapes. */
function isMounted(mnt: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => unescapeMount(l.split(' ')[1] ?? '') === mnt);
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The environment mount(8) gives its helpers: no PATH. */
function withoutPath(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.PATH;
  return env;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

before(async () => {
  drive = await startDrive({
    seed: async (root) => {
      await fs.mkdir(path.join(root, 'docs'));
      await fs.writeFile(path.join(root, 'hello.txt'), 'hello, world\n');
      await fs.writeFile(path.join(root, 'docs', 'leaf.txt'), 'leaf\n');
    },
  });
  shared = await fs.mkdtemp(path.join(os.tmpdir(), 'drivemount-shared-'));
  await fs.chmod(shared, 0o755);
});

after(async () => {
  await drive?.close();
  if (shared) await fs.rm(shared, { recursive: true, force: true });
});

async function sharedMountpoint(name: string): Promise<string> {
  const mnt = path.join(shared, name);
  await fs.mkdir(mnt);
  return mnt;
}

test('--allow-other: another user reads a 0644 file but cannot write, delete or create (EACCES)', async () => {
  const m = await mount(drive, ['--allow-other', '--cache-dir', path.join(drive.tmp, 'cache-ao')], 'od', await sharedMountpoint('allow-other'));
  try {
    const f = path.join(m.mnt, 'hello.txt');
    assert.equal((await sh(`stat -c '%a %u' ${q(f)}`)).stdout.trim(), `644 ${process.getuid!()}`);
    const read = await as(NOBODY, `cat ${q(f)}`);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, 'hello, world\n');
    assert.equal((await as(NOBODY, `ls ${q(m.mnt)}/docs`)).stdout, 'leaf.txt\n');
    for (const cmd of [`echo more >> ${q(f)}`, `rm -f ${q(f)}`, `touch ${q(m.mnt)}/new.txt`, `mkdir ${q(m.mnt)}/newdir`, `mv ${q(f)} ${q(m.mnt)}/moved.txt`]) {
      const r = await as(NOBODY, cmd);
      assert.notEqual(r.code, 0, `${cmd} should have been refused`);
      assert.match(r.stderr, /Permission denied/, cmd);
    }
    assert.equal(await fs.readFile(path.join(drive.root, 'hello.txt'), 'utf8'), 'hello, world\n');
    assert.deepEqual((await fs.readdir(drive.root)).sort(), ['docs', 'hello.txt']);
    // The owner (root here) still writes.
    await fs.writeFile(path.join(m.mnt, 'docs', 'by-owner.txt'), 'mine\n');
    assert.equal(await fs.readFile(path.join(m.mnt, 'docs', 'by-owner.txt'), 'utf8'), 'mine\n');
  } finally {
    await m.unmount();
  }
  await waitFor(() => existsSync(path.join(drive.root, 'docs', 'by-owner.txt')), 'the upload of by-owner.txt');
  await fs.rm(path.join(drive.root, 'docs', 'by-owner.txt'));
});

test('--uid/--gid/--umask set the owner and modes shown, and the kernel enforces them', async () => {
  const args = ['--allow-other', '--uid', String(NOBODY), '--gid', String(NOBODY), '--umask', '027', '--cache-dir', path.join(drive.tmp, 'cache-uid')];
  const m = await mount(drive, args, 'od', await sharedMountpoint('owner'));
  try {
    assert.equal((await sh(`stat -c '%a %u %g' ${q(m.mnt)}/hello.txt`)).stdout.trim(), `640 ${NOBODY} ${NOBODY}`);
    assert.equal((await sh(`stat -c '%a %u %g' ${q(m.mnt)}/docs`)).stdout.trim(), `750 ${NOBODY} ${NOBODY}`);
    // nobody owns everything now: it may write; a third user is outside owner and group: no access.
    const w = await as(NOBODY, `echo from nobody > ${q(m.mnt)}/docs/nobody.txt && cat ${q(m.mnt)}/docs/nobody.txt`);
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, 'from nobody\n');
    const other = await as(NOBODY - 1, `cat ${q(m.mnt)}/hello.txt`);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /Permission denied/);
  } finally {
    await m.unmount();
  }
  await waitFor(() => existsSync(path.join(drive.root, 'docs', 'nobody.txt')), 'the upload of nobody.txt');
  assert.equal(await fs.readFile(path.join(drive.root, 'docs', 'nobody.txt'), 'utf8'), 'from nobody\n');
  await fs.rm(path.join(drive.root, 'docs', 'nobody.txt'));
});

test('--attr-timeout 0: a change on the remote shows in stat as soon as the folder cache lets it', async () => {
  // A 1 ms folder cache: only the kernel's attribute cache could still hide the change.
  const m = await mount(drive, ['--attr-timeout', '0', '--dir-cache-time', '0.001', '--read-only']);
  try {
    const f = path.join(m.mnt, 'docs', 'leaf.txt');
    assert.equal((await fs.stat(f)).size, 5);
    await fs.writeFile(path.join(drive.root, 'docs', 'leaf.txt'), 'a longer leaf\n');
    await sleep(50); // well past the folder cache's 1 ms, well inside libfuse's default 1 s
    assert.equal((await fs.stat(f)).size, 14);
  } finally {
    await m.unmount();
    await fs.writeFile(path.join(drive.root, 'docs', 'leaf.txt'), 'leaf\n');
  }
});

for (const name of ['x$(touch pwned)', 'with spaces', "it's `touch pwned2`"]) {
  test(`mounting and unmounting at "${name}" runs no command and leaves no mount`, async () => {
    const cwd = await fs.mkdtemp(path.join(drive.tmp, 'cwd-'));
    const parent = await fs.mkdtemp(path.join(drive.tmp, 'odd-'));
    const mnt = path.join(parent, name);
    await fs.mkdir(mnt);
    const proc = spawn(process.execPath, [MAIN, 'mount', 'od', mnt, '--config', drive.configFile, '--cache-dir', path.join(drive.tmp, `cache-${path.basename(parent)}`)], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const entry = { mnt, pid: proc.pid };
    leftovers.push(entry);
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      await waitFor(() => proc.exitCode !== null || (isMounted(mnt) && out.includes('"msg":"mounted"')), `mount at ${mnt}`);
      assert.equal(proc.exitCode, null, out);
      assert.equal(await fs.readFile(path.join(mnt, 'hello.txt'), 'utf8'), 'hello, world\n');
      // SIGTERM: drivemount unmounts through the binding, whose unmount used a shell.
      proc.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.equal(isMounted(mnt), false, `still mounted after the mount process ended:\n${out}`);
      for (const dir of [cwd, parent, mnt, process.cwd()]) {
        for (const marker of ['pwned', 'pwned2']) assert.equal(existsSync(path.join(dir, marker)), false, `${marker} was created in ${dir}`);
      }
      assert.doesNotMatch(out, /unmount reported an error/);
    } finally {
      await stopProcess(proc, mnt);
    }
  });
}

async function stopProcess(proc: ChildProcess, mnt: string): Promise<void> {
  if (isMounted(mnt)) await exec('fusermount', ['-uz', mnt]).catch(() => undefined);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

/** The daemon's pid from the helper's "mounted at … (pid N, …)" line. */
function daemonPid(stdout: string): number {
  const m = /\(pid (\d+),/.exec(stdout);
  assert.ok(m, `no pid in: ${stdout}`);
  return Number(m[1]);
}

async function endDaemon(mnt: string, pid: number): Promise<void> {
  if (isMounted(mnt)) await exec('fusermount', ['-u', mnt]).catch(() => exec('fusermount', ['-uz', mnt]));
  await waitFor(() => !alive(pid), `daemon ${pid} to exit`, 10_000).catch(() => process.kill(pid, 'SIGKILL'));
}

/** The options as mount(8) hands them over, generic ones included. */
function fstabOptions(tag: string): string {
  return [
    'rw', 'nodev', 'nosuid', 'noauto', '_netdev', 'x-systemd.automount', 'allow_other',
    `uid=${NOBODY}`, `gid=${NOBODY}`, 'umask=077', `config=${drive.configFile}`,
    `cache_dir=${path.join(drive.tmp, `cache-${tag}`)}`, 'attr_timeout=0', `log_file=${path.join(drive.tmp, `${tag}.log`)}`,
  ].join(',');
}

/** What mount(8) helpers must deliver: the mount up, options in effect, the daemon still serving. */
async function assertHelperMount(mnt: string): Promise<void> {
  assert.ok(isMounted(mnt), `${mnt} is not mounted`);
  const line = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => unescapeMount(l.split(' ')[1] ?? '') === mnt)!;
  const [source, , type, opts] = line.split(' ');
  assert.equal(source, 'drivemount:od');
  assert.equal(type, 'fuse.drivemount');
  for (const o of ['nodev', 'nosuid', 'default_permissions', 'allow_other']) assert.ok(opts!.split(',').includes(o), `${o} missing from ${opts}`);
  assert.equal((await sh(`stat -c '%a %u %g' ${q(mnt)}/hello.txt`)).stdout.trim(), `600 ${NOBODY} ${NOBODY}`);
  const r = await as(NOBODY, `cat ${q(mnt)}/hello.txt`);
  assert.equal(r.stdout, 'hello, world\n', r.stderr);
}

for (const [helper, what] of [
  ['mount.drivemount', 'bin/mount.drivemount, as mount(8) runs /sbin/mount.drivemount'],
  ['drivemount.js', 'bin/drivemount, as mount.fuse runs it for type fuse.drivemount'],
] as const) {
  test(`${what}: maps the -o options, mounts in the background and returns`, async () => {
    const mnt = await sharedMountpoint(`helper-${helper}`);
    const r = await exec(path.join(BIN, helper), ['od:', mnt, '-o', fstabOptions(helper)], { env: withoutPath() });
    const pid = daemonPid(r.stdout);
    leftovers.push({ mnt, pid });
    try {
      await assertHelperMount(mnt);
    } finally {
      await endDaemon(mnt, pid);
    }
    assert.equal(isMounted(mnt), false);
  });
}

test('mount.drivemount refuses an option it does not know, before mounting', async () => {
  const mnt = await sharedMountpoint('helper-unknown');
  const r = await exec(path.join(BIN, 'mount.drivemount'), ['od:', mnt, '-o', `config=${drive.configFile},vfs_cache_mode=full`], { env: withoutPath() }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown mount option "vfs_cache_mode=full"/);
  assert.equal(isMounted(mnt), false);
});

test('mount -t fuse.drivemount (mount(8) → mount.fuse → drivemount), in a private mount namespace', async (t) => {
  // mount(8) clears PATH, so mount.fuse finds `drivemount` on /bin/sh's default PATH, which starts
  // with /usr/local/sbin. A bind mount over that folder, inside a mount namespace of this test's
  // own, puts our bin/drivemount.js there without installing anything on the machine.
  const probe = await sh('unshare -m --propagation private true');
  if (probe.code !== 0) {
    t.skip(`cannot create a mount namespace here: ${probe.stderr.trim()}`);
    return;
  }
  const binDir = await fs.mkdtemp(path.join(drive.tmp, 'sbin-'));
  await fs.symlink(path.join(BIN, 'drivemount.js'), path.join(binDir, 'drivemount'));
  const mnt = await sharedMountpoint('mount8');
  const script = [
    `mount --bind ${q(binDir)} /usr/local/sbin`,
    `mount -t fuse.drivemount od: ${q(mnt)} -o ${q(fstabOptions('mount8'))}`,
    `grep -F ' ${mnt} ' /proc/self/mounts`,
    `stat -c '%a %u %g' ${q(mnt)}/hello.txt`,
    `setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups cat ${q(mnt)}/hello.txt`,
  ].join(' && ');
  // The unmount runs whatever happened before, so no daemon keeps the namespace alive.
  const r = await sh(`unshare -m --propagation private sh -c ${q(`${script}; rc=$?; fusermount -u ${q(mnt)}; exit $rc`)}`);
  const m = /\(pid (\d+),/.exec(r.stdout);
  if (m) await waitFor(() => !alive(Number(m[1])), 'the daemon to exit', 10_000).catch(() => process.kill(Number(m[1]), 'SIGKILL'));
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines.find((l) => l.includes(' fuse.drivemount '))!, /^drivemount:od \S+ fuse\.drivemount \S*default_permissions,allow_other/);
  assert.ok(lines.includes(`600 ${NOBODY} ${NOBODY}`), r.stdout);
  assert.equal(lines.at(-1), 'hello, world');
  assert.equal(isMounted(mnt), false, 'the namespace mount showed outside');
});
