import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startDrive, mount, type DriveFixture } from '../helpers/harness.js';

// One emulator serving the user's own drive and a SharePoint site's library.
let drive: DriveFixture;
const SITE = 'contoso.sharepoint.com,11111111-2222-3333-4444-555555555555,66666666-7777-8888-9999-000000000000';

before(async () => {
  drive = await startDrive({
    emulatorArgs: [],
    seed: async (root) => {
      await fs.mkdir(path.join(root, 'Work', 'Reports'), { recursive: true });
      await fs.writeFile(path.join(root, 'Work', 'Reports', 'q1.txt'), 'own drive\n');
      await fs.writeFile(path.join(root, 'top.txt'), 'top\n');
    },
  });
});
after(async () => {
  await drive?.close();
});

/** The config file with extra remotes besides "od". */
async function addRemote(name: string, extra: Record<string, unknown>): Promise<void> {
  const cfg = JSON.parse(await fs.readFile(drive.configFile, 'utf8'));
  cfg.remotes[name] = { ...cfg.remotes.od, ...extra };
  await fs.writeFile(drive.configFile, JSON.stringify(cfg), { mode: 0o600 });
}

test('REMOTE:/sub/folder mounts a folder of the drive', async () => {
  const m = await mount(drive, ['--read-only'], 'od:/Work');
  try {
    assert.deepEqual(await fs.readdir(m.mnt), ['Reports']);
    assert.equal(await fs.readFile(path.join(m.mnt, 'Reports', 'q1.txt'), 'utf8'), 'own drive\n');
  } finally {
    await m.unmount();
  }
});

test('rootPath in the config mounts a folder of the drive', async () => {
  await addRemote('rooted', { rootPath: '/Work/Reports' });
  const m = await mount(drive, ['--read-only'], 'rooted');
  try {
    assert.deepEqual(await fs.readdir(m.mnt), ['q1.txt']);
  } finally {
    await m.unmount();
  }
});

test('siteId mounts a SharePoint library; driveId mounts a drive by id', async () => {
  // A second emulator serves the site: its folder is separate from the user's drive.
  const siteRoot = path.join(drive.tmp, 'site');
  await fs.mkdir(path.join(siteRoot, 'Shared Documents'), { recursive: true });
  await fs.writeFile(path.join(siteRoot, 'Shared Documents', 'policy.txt'), 'site file\n');
  const siteDrive = await startDrive({ emulatorArgs: ['--site', `${SITE}=${siteRoot}`] });
  try {
    const cfg = JSON.parse(await fs.readFile(siteDrive.configFile, 'utf8'));
    cfg.remotes.sp = { ...cfg.remotes.od, siteId: SITE };
    await fs.writeFile(siteDrive.configFile, JSON.stringify(cfg), { mode: 0o600 });
    const m = await mount(siteDrive, ['--read-only'], 'sp');
    try {
      assert.equal(await fs.readFile(path.join(m.mnt, 'Shared Documents', 'policy.txt'), 'utf8'), 'site file\n');
    } finally {
      await m.unmount();
    }
    // The user's own drive addressed by its id (with the token "sp" rotated to: tokens are single-use).
    const cfg2 = JSON.parse(await fs.readFile(siteDrive.configFile, 'utf8'));
    cfg2.remotes.byid = { ...cfg2.remotes.sp, siteId: undefined, driveId: siteDrive.emu.info.driveId };
    await fs.writeFile(siteDrive.configFile, JSON.stringify(cfg2), { mode: 0o600 });
    const m2 = await mount(siteDrive, ['--read-only'], 'byid');
    try {
      assert.equal(await fs.readFile(path.join(m2.mnt, 'top.txt'), 'utf8').catch(() => 'absent'), 'absent');
      assert.deepEqual(await fs.readdir(m2.mnt), []);
    } finally {
      await m2.unmount();
    }
  } finally {
    await siteDrive.close();
  }
});
