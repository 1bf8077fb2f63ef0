// Writes that survive a crash: the mount is killed (SIGKILL) part-way through a large upload, the
// same remote is mounted again, and the file on the service must be identical with almost
// nothing sent twice. The emulators' stats count the bytes each one accepted.
//
// Size: 128 MiB by default (fast on a loaded machine). The bound asserted does not depend on the
// size — at most one fragment (OneDrive, 10 MiB) or part (Aliyundrive Open 20 MiB, legacy 10 MiB) sent again — so
// DRIVEMOUNT_CRASH_MIB=1024 runs the same tests at the 1 GiB of the issue.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exec, isMounted, mount, MiB, runCli, SERVICES, startDrive, waitFor, type DriveFixture, type MountFixture } from '../helpers/harness.js';
import { assertSame, randomFile, sleep } from './write-helpers.js';

const SIZE = Number(process.env.DRIVEMOUNT_CRASH_MIB ?? 128) * MiB;
// The legacy driver uploads 10 MiB parts (what the clients the wire facts cite send); the emulator is Open's.
const CHUNK: Record<string, number> = { onedrive: 10 * MiB, aliyundrive: 20 * MiB, 'aliyundrive-legacy': 10 * MiB };
const TTL_KEY: Record<string, string> = { onedrive: 'uploadSessionTtlSec', aliyundrive: 'uploadTtlSec', 'aliyundrive-legacy': 'uploadTtlSec' };
const TTL_DEFAULT: Record<string, number> = { onedrive: 900, aliyundrive: 86_400, 'aliyundrive-legacy': 86_400 };

const open: { drive?: DriveFixture; mounts: MountFixture[]; procs: ChildProcess[] }[] = [];
after(async () => {
  for (const o of open) {
    for (const p of o.procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const m of o.mounts) await m.unmount().catch(() => undefined);
    await o.drive?.close();
  }
});

async function setup(service: string, seed?: (root: string) => Promise<void>) {
  const o: (typeof open)[number] = { mounts: [], procs: [] };
  open.push(o);
  const drive = (o.drive = await startDrive({ service, seed }));
  const cacheDir = path.join(drive.tmp, 'cache');
  const src = path.join(drive.tmp, 'src.bin');
  await randomFile(src, SIZE);
  const mountIt = async () => {
    const m = await mount(drive, ['--cache-dir', cacheDir]);
    o.mounts.push(m);
    return m;
  };
  return { o, drive, cacheDir, src, mountIt };
}

const accepted = async (d: DriveFixture) => (await d.stats()).uploadBytes ?? 0;

/** cp SRC into the mount and SIGKILL the mount once the service has accepted `fraction` of it. */
async function killDuringUpload(s: Awaited<ReturnType<typeof setup>>, m: MountFixture, name: string, fraction: number): Promise<number> {
  const before = await accepted(s.drive);
  const cp = spawn('cp', [s.src, path.join(m.mnt, name)], { stdio: 'ignore' });
  s.o.procs.push(cp);
  await waitFor(async () => (await accepted(s.drive)) - before >= fraction * SIZE, `${fraction * 100}% of the upload`, 120_000);
  m.proc.kill('SIGKILL');
  await m.exited;
  if (isMounted(m.mnt)) await exec('fusermount', ['-uz', m.mnt]).catch(() => undefined);
  cp.kill('SIGKILL');
  await sleep(300); // a fragment in flight is refused by the service once its connection is gone
  const held = (await accepted(s.drive)) - before;
  assert.ok(held < SIZE, `the upload finished before the kill (${held} of ${SIZE} bytes): nothing was tested`);
  return held;
}

async function recovered(m: MountFixture): Promise<string> {
  await waitFor(() => m.log().includes('recovery after a crash finished'), 'recovery at the next mount', 180_000);
  return m.log();
}

for (const service of SERVICES) {
  for (const fraction of [0.3, 0.7]) {
    test(`${service}: SIGKILL at ${fraction * 100}% of a ${SIZE / MiB} MiB upload; the next mount resumes it, sending at most one ${CHUNK[service]! / MiB} MiB piece again`, async () => {
      const s = await setup(service);
      const m1 = await s.mountIt();
      const held = await killDuringUpload(s, m1, 'big.bin', fraction);
      const before = await accepted(s.drive);
      const m2 = await s.mountIt();
      const log = await recovered(m2);
      await assertSame(s.src, path.join(s.drive.root, 'big.bin'), 'on the service after recovery');
      const sent = (await accepted(s.drive)) - before;
      const resent = sent - (SIZE - held);
      process.stderr.write(`# ${service} kill at ${fraction * 100}%: service held ${held} bytes, the next mount sent ${sent}, re-sent ${resent} (bound ${CHUNK[service]})\n`);
      assert.ok(resent <= CHUNK[service]!, `re-sent ${resent} bytes, more than one piece: held ${held}, sent after remount ${sent}`);
      assert.match(log, /resuming the upload where the service stands/);
      assert.deepEqual(await fs.readdir(s.cacheDir), [], 'staged copy and record removed once committed');
      await m2.unmount();
    });
  }

  test(`${service}: the upload session expired while the mount was down → a new one, the file whole`, async () => {
    const s = await setup(service);
    const m1 = await s.mountIt();
    await killDuringUpload(s, m1, 'exp.bin', 0.4);
    await s.drive.setFaults({ [TTL_KEY[service]!]: 1 });
    await sleep(2000); // past the lowered lifetime and the emulator's sweep: the session is gone for good
    await s.drive.setFaults({ [TTL_KEY[service]!]: TTL_DEFAULT[service]! });
    const before = await accepted(s.drive);
    const m2 = await s.mountIt();
    const log = await recovered(m2);
    await assertSame(s.src, path.join(s.drive.root, 'exp.bin'), 'on the service after recovery');
    assert.equal((await accepted(s.drive)) - before, SIZE, 'sent whole in a new session');
    assert.match(log, /starting a new one/);
    await m2.unmount();
  });

  test(`${service}: the file changed on the service while the mount was down → ours is committed as a conflict copy beside it`, async () => {
    const s = await setup(service, async (root) => fs.writeFile(path.join(root, 'doc.bin'), 'the version we started from'));
    const m1 = await s.mountIt();
    await killDuringUpload(s, m1, 'doc.bin', 0.3);
    await fs.writeFile(path.join(s.drive.root, 'doc.bin'), 'their edit, made elsewhere meanwhile');
    const m2 = await s.mountIt();
    const log = await recovered(m2);
    assert.equal(await fs.readFile(path.join(s.drive.root, 'doc.bin'), 'utf8'), 'their edit, made elsewhere meanwhile', 'their file untouched');
    const copies = (await fs.readdir(s.drive.root)).filter((n) => /^doc \(conflict \d{4}-\d\d-\d\d \d{6}\)\.bin$/.test(n));
    assert.equal(copies.length, 1, `one conflict copy: ${await fs.readdir(s.drive.root)}`);
    await assertSame(s.src, path.join(s.drive.root, copies[0]!), 'the conflict copy holds our bytes');
    assert.ok(log.includes('/doc.bin') && log.includes(`/${copies[0]}`), 'the log names both files');
    await m2.unmount();
  });
}

test('onedrive: a file still open at the crash is kept and listed, not uploaded; `drivemount recover --upload` commits it', async () => {
  const s = await setup('onedrive');
  const m1 = await s.mountIt();
  const target = path.join(m1.mnt, 'open.bin');
  // A writer that has written 5 MiB and not closed its file when the mount dies.
  // (One process, one descriptor: a helper like `head >&3` would close its copy, and close commits.)
  const script = `const fs=require('fs');const fd=fs.openSync(process.argv[1],'w');const b=fs.readFileSync(process.argv[2]).subarray(0,${5 * MiB});fs.writeSync(fd,b);console.log('written');setTimeout(()=>{},60000);`;
  const w = spawn(process.execPath, ['-e', script, target, s.src], { stdio: ['ignore', 'pipe', 'ignore'] });
  s.o.procs.push(w);
  await new Promise<void>((r) => w.stdout!.once('data', () => r()));
  await waitFor(async () => (await fs.readdir(s.cacheDir).catch(() => [])).some((n) => n.endsWith('#journal.json')), 'the record of the open file').catch((e: Error) => {
    throw new Error(`${e.message}: ${m1.log().slice(-3000)}`);
  });
  m1.proc.kill('SIGKILL');
  await m1.exited;
  if (isMounted(m1.mnt)) await exec('fusermount', ['-uz', m1.mnt]).catch(() => undefined);
  w.kill('SIGKILL');

  const m2 = await s.mountIt();
  const log = await recovered(m2);
  assert.match(log, /\/open\.bin was still open when the mount stopped/);
  assert.equal(await fs.stat(path.join(s.drive.root, 'open.bin')).catch(() => null), null, 'nothing uploaded without asking');
  const st = await runCli(['status', m2.mnt, '--json']);
  assert.equal(st.code, 0, st.stderr);
  const shown = (JSON.parse(st.stdout) as { recovery: { running: boolean; files: { outcome: string; path?: string; staged: string }[] } }).recovery;
  assert.equal(shown.running, false);
  assert.deepEqual(shown.files.map((f) => [f.outcome, f.path]), [['kept-unclosed', '/open.bin']], 'drivemount status lists the kept file');
  assert.ok(shown.files[0]!.staged.startsWith(s.cacheDir + '/'));
  await m2.unmount();

  const r = await runCli(['recover', 'od', '--config', s.drive.configFile, '--cache-dir', s.cacheDir, '--upload', '/open.bin', '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const report = JSON.parse(r.stdout) as { files: { outcome: string; path?: string }[] };
  assert.deepEqual(report.files.map((f) => [f.outcome, f.path]), [['uploaded', '/open.bin']]);
  const head = path.join(s.drive.tmp, 'head.bin');
  await fs.writeFile(head, (await fs.readFile(s.src)).subarray(0, 5 * MiB));
  await assertSame(head, path.join(s.drive.root, 'open.bin'), 'the kept bytes, committed on request');
  assert.deepEqual(await fs.readdir(s.cacheDir), []);
});
