// Patches @cocalc/fuse-native 2.4's C source (see native-notes/writes.md and
// native-notes/open-unlinked.md). Each edit is applied on its own, so a binding patched by an
// older version of this script gets just the edits it lacks.
//  utimens, so that `touch -d`, `touch -m`, `cp -p`, `tar -x` and `rsync -a` set the right time:
//  1. the modification time was never passed to JavaScript (the access time went twice);
//  2. libfuse 2.9 drops a SETATTR that changes only one of the two times unless the filesystem
//     sets flag_utime_omit_ok;
//  3. UTIME_OMIT and UTIME_NOW both became ~1,073 ms; they now arrive as 1 ms and 2 ms.
//  files removed while open (their folder removed too, see native-notes/open-unlinked.md):
//  4. libfuse hands a NULL path to read/write/flush/release/fgetattr of a removed file only if
//     the filesystem sets flag_nullpath_ok (otherwise it answers ENOENT, or calls release with
//     NULL anyway);
//  5. the binding made a JS string of that NULL path and crashed the process: it now passes "".
//  fstat (index.js, no rebuild needed):
//  6. the binding answered fgetattr by calling the filesystem's getattr with the path, dropping
//     the file handle, so fstat of a removed, still-open file failed: it now calls fgetattr.
// Prints "patched" when it changed the file (the addon must then be rebuilt), "ok" when every
// edit was there already; exits 1 if the source is not what it expects.
import { readFileSync, writeFileSync } from 'node:fs';

const file = 'node_modules/@cocalc/fuse-native/fuse-native.c';
const jsFile = 'node_modules/@cocalc/fuse-native/index.js';
const MARK = '/* drivemount patch */';
const PATH_ARG = 'napi_create_string_utf8(env, l->path, NAPI_AUTO_LENGTH';
/** `all`: every occurrence (at least one); otherwise exactly one. */
const edits = [
  { from: 'FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)', to: `FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5) ${MARK}` },
  {
    from: 'static uint64_t timespec_to_uint64 (const struct timespec* ts) {\n',
    to: `static uint64_t timespec_to_uint64 (const struct timespec* ts) {\n  if (ts->tv_nsec == UTIME_OMIT) return 1; ${MARK}\n  if (ts->tv_nsec == UTIME_NOW) return 2;\n`,
  },
  { from: '  struct fuse_operations ops = { };\n', to: `  struct fuse_operations ops = { };\n  ops.flag_utime_omit_ok = 1; ${MARK}\n` },
  { from: `  ops.flag_utime_omit_ok = 1; ${MARK}\n`, to: `  ops.flag_utime_omit_ok = 1; ${MARK}\n  ops.flag_nullpath_ok = 1; ${MARK}\n` },
  { from: '// Methods\n', to: `// Methods\n#define DRIVEMOUNT_PATH(p) ((p) ? (p) : "") ${MARK}\n` },
  { from: PATH_ARG, to: 'napi_create_string_utf8(env, DRIVEMOUNT_PATH(l->path), NAPI_AUTO_LENGTH', all: true },
];

const jsEdits = [
  {
    from: 'this.ops.getattr(path, (err, stat) => {\n      if (err) return signal(err)\n',
    to: `this.ops.fgetattr(path, fd, (err, stat) => { // ${MARK}\n      if (err) return signal(err)\n`,
  },
];

/** Applies the edits missing from `path`; true if it changed the file. */
function patch(path, list) {
  let src = readFileSync(path, 'utf8');
  let changed = false;
  for (const { from, to, all } of list) {
    const present = all ? !src.includes(from) && src.includes(to) : src.includes(to);
    if (present) continue;
    const count = src.split(from).length - 1;
    if (all ? count === 0 : count !== 1) {
      console.error(`${path}: expected ${all ? 'some' : 'exactly one'} "${from.trim()}"; the binding's source changed, update scripts/patch-binding.mjs (or reinstall it with npm ci)`);
      process.exit(1);
    }
    src = all ? src.split(from).join(to) : src.replace(from, to);
    changed = true;
  }
  if (changed) writeFileSync(path, src);
  return changed;
}

const nativeChanged = patch(file, edits);
patch(jsFile, jsEdits); // JavaScript: takes effect without a rebuild
// "patched" asks setup.sh to rebuild the addon, which only the C edits need.
console.log(nativeChanged ? 'patched' : 'ok');
