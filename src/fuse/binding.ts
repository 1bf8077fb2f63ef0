import { createRequire } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';

/**
 * The parts of @cocalc/fuse-native drivemount uses. Loaded through require because the
 * package's typings declare an ES default export that its CommonJS code does not have.
 */
export interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}

export interface FuseConstructor {
  new (mountpoint: string, ops: object, opts: Record<string, unknown>): FuseInstance;
  /** Used by every instance's unmount and by mount on a dead (ENOTCONN) mountpoint. */
  unmount(mountpoint: string, cb: (err: Error | null) => void): void;
}

const require = createRequire(import.meta.url);

/**
 * Whether the installed binding carries scripts/patch-binding.mjs (utimens passes the real
 * modification time, with UTIME_OMIT as 1 and UTIME_NOW as 2). Read from its C source, which
 * ships with the package.
 */
export function utimensPassesMtime(): boolean {
  return bindingSourceHas('ops.flag_utime_omit_ok = 1; /* drivemount patch */');
}

/**
 * Whether the binding survives operations on an open file that has no path any more (its folder
 * was removed): the patch sets flag_nullpath_ok and passes "" for libfuse's NULL path. Only then
 * may such a folder be removed (native-notes/open-unlinked.md).
 */
export function handlesRemovedOpenFiles(): boolean {
  return bindingSourceHas('ops.flag_nullpath_ok = 1; /* drivemount patch */') && bindingSourceHas('DRIVEMOUNT_PATH(l->path)') && addonBuiltFromSource();
}

/**
 * The C patch works only once the addon is rebuilt from it (scripts/setup.sh does): an addon
 * older than the patched source would still crash on a NULL path.
 */
function addonBuiltFromSource(): boolean {
  try {
    const src = statSync(require.resolve('@cocalc/fuse-native/fuse-native.c')).mtimeMs;
    const addon = statSync(path.join(path.dirname(require.resolve('@cocalc/fuse-native/fuse-native.c')), 'build', 'Release', 'fuse.node')).mtimeMs;
    return addon >= src;
  } catch {
    return false;
  }
}

function bindingSourceHas(text: string): boolean {
  try {
    return readFileSync(require.resolve('@cocalc/fuse-native/fuse-native.c'), 'utf8').includes(text);
  } catch {
    return false;
  }
}

export function loadFuse(): FuseConstructor {
  let Fuse: FuseConstructor;
  try {
    Fuse = require('@cocalc/fuse-native') as FuseConstructor;
  } catch (e) {
    throw new Error(
      `the FUSE binding could not be loaded (${(e as Error).message}). Install libfuse-dev, fuse and pkg-config, then run npm ci again.`,
    );
  }
  Fuse.unmount = unmountWithoutShell;
  return Fuse;
}

/**
 * Replaces the binding's static unmount, which runs `exec('fusermount -uz ' + JSON.stringify(mnt))`
 * through /bin/sh: inside double quotes the shell still expands `$(...)` and backquotes, so a
 * mountpoint named `x$(touch pwned)` ran a command and then failed to unmount. Every unmount of
 * the binding (instance unmount, and mount's repair of a dead mountpoint) goes through this
 * static, so replacing it here covers them all. The mountpoint is passed as one argument, no shell.
 */
function unmountWithoutShell(mountpoint: string, cb: (err: Error | null) => void): void {
  execFile('fusermount', ['-uz', mountpoint], (err) => cb(err ?? null));
}
