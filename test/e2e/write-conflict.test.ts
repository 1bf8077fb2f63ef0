// A commit whose base changed on the service meanwhile becomes a conflict copy (not only after a
// crash): a program keeps a file open for writing while another device edits it (here: the
// emulator's backing folder), then closes it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { mount, SERVICES, startDrive, type DriveFixture, type MountFixture } from '../helpers/harness.js';

const open: { drive?: DriveFixture; mount?: MountFixture }[] = [];
after(async () => {
  for (const o of open) {
    await o.mount?.unmount().catch(() => undefined);
    await o.drive?.close();
  }
});

const CONFLICT = /^doc \(conflict \d{4}-\d\d-\d\d \d{6}\)\.txt$/;

for (const service of SERVICES.filter((s) => s === 'onedrive' || s === 'aliyundrive')) {
  test(`${service}: closing a file the service changed since it was opened commits ours as a conflict copy beside it; the open file follows the copy`, async () => {
    const o: (typeof open)[number] = {};
    open.push(o);
    const d = (o.drive = await startDrive({ service, seed: (root) => fs.writeFile(path.join(root, 'doc.txt'), 'the version we started from') }));
    const m = (o.mount = await mount(d));
    const fh = await fs.open(path.join(m.mnt, 'doc.txt'), 'r+');
    await fh.write('OURS', 0);
    await fs.writeFile(path.join(d.root, 'doc.txt'), 'their edit, made elsewhere meanwhile');
    await fh.sync(); // commits now: the service's file is not the one we opened
    assert.equal(await fs.readFile(path.join(d.root, 'doc.txt'), 'utf8'), 'their edit, made elsewhere meanwhile', 'their file untouched');
    const copies = (await fs.readdir(d.root)).filter((n) => CONFLICT.test(n));
    assert.equal(copies.length, 1, `one conflict copy: ${await fs.readdir(d.root)}`);
    assert.equal(await fs.readFile(path.join(d.root, copies[0]!), 'utf8'), 'OURSversion we started from');
    const warn = m.log().split('\n').filter((l) => l.includes('"level":40') && l.includes(`/${copies[0]}`));
    assert.equal(warn.length, 1, 'one warning line names the copy');
    assert.ok(warn[0]!.includes('/doc.txt'), 'and the original');
    // Written again and closed: the copy gets it, their file stays.
    await fh.write('MORE', 0);
    await fh.close();
    assert.equal(await fs.readFile(path.join(d.root, copies[0]!), 'utf8'), 'MOREversion we started from');
    assert.equal(await fs.readFile(path.join(d.root, 'doc.txt'), 'utf8'), 'their edit, made elsewhere meanwhile');
    assert.equal(await fs.readFile(path.join(m.mnt, copies[0]!), 'utf8'), 'MOREversion we started from', 'the mount shows the copy');
    assert.deepEqual((await fs.readdir(d.root)).filter((n) => CONFLICT.test(n)), copies, 'no second copy');
    await m.unmount();
  });

  test(`${service}: a file nobody else changed is replaced in place (no conflict copy)`, async () => {
    const o: (typeof open)[number] = {};
    open.push(o);
    const d = (o.drive = await startDrive({ service, seed: (root) => fs.writeFile(path.join(root, 'doc.txt'), 'version one') }));
    const m = (o.mount = await mount(d));
    await fs.writeFile(path.join(m.mnt, 'doc.txt'), 'version two');
    await fs.appendFile(path.join(m.mnt, 'doc.txt'), ', and three'); // based on our own commit
    assert.equal(await fs.readFile(path.join(d.root, 'doc.txt'), 'utf8'), 'version two, and three');
    assert.deepEqual((await fs.readdir(d.root)).filter((n) => n.includes('conflict')), []);
    await m.unmount();
  });

  test(`${service}: write-back: the service's file changed between close() and the queued upload → ours goes up as a conflict copy`, async () => {
    const o: (typeof open)[number] = {};
    open.push(o);
    const d = (o.drive = await startDrive({ service, seed: (root) => fs.writeFile(path.join(root, 'doc.txt'), 'version one') }));
    const m = (o.mount = await mount(d, ['--write-back', '60']));
    await fs.writeFile(path.join(m.mnt, 'doc.txt'), 'ours, queued');
    assert.equal(await fs.readFile(path.join(d.root, 'doc.txt'), 'utf8'), 'version one', 'still queued');
    await fs.writeFile(path.join(d.root, 'doc.txt'), 'their edit, made elsewhere meanwhile');
    await m.unmount(); // the queue goes up before the mount exits
    assert.equal(await fs.readFile(path.join(d.root, 'doc.txt'), 'utf8'), 'their edit, made elsewhere meanwhile', 'their file untouched');
    const copies = (await fs.readdir(d.root)).filter((n) => CONFLICT.test(n));
    assert.equal(copies.length, 1, `one conflict copy: ${await fs.readdir(d.root)}`);
    assert.equal(await fs.readFile(path.join(d.root, copies[0]!), 'utf8'), 'ours, queued');
  });
}
