#!/usr/bin/env node
// mount.fuse runs `drivemount SOURCE MOUNTPOINT -o OPTIONS` for `mount -t fuse.drivemount` and
// fstab lines of that type; no drivemount command has -o, so that shape means "be the mount helper".
const args = process.argv.slice(2);
if (args.length === 4 && args[2] === '-o') {
  const { mountHelperMain } = await import('../dist/src/cli/mount-helper-main.js');
  mountHelperMain(args);
} else {
  await import('../dist/src/cli/main.js');
}
