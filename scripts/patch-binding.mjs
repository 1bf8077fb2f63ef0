// Patches @cocalc/fuse-native 2.4's C source for utimens (see native-notes/writes.md), so that
// `touch -d`, `touch -m`, `cp -p`, `tar -x` and `rsync -a` set the right modification time:
//  1. the modification time was never passed to JavaScript (the access time went twice);
//  2. libfuse 2.9 drops a SETATTR that changes only one of the two times unless the filesystem
//     sets flag_utime_omit_ok;
//  3. UTIME_OMIT and UTIME_NOW both became ~1,073 ms; they now arrive as 1 ms and 2 ms.
// Prints "patched" when it changed the file (the addon must then be rebuilt), "ok" when the
// patch was there already; exits 1 if the source is not what it expects.
import { readFileSync, writeFileSync } from 'node:fs';

const file = 'node_modules/@cocalc/fuse-native/fuse-native.c';
const MARK = '/* drivemount patch */';
const edits = [
  ['FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)', `FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5) ${MARK}`],
  [
    'static uint64_t timespec_to_uint64 (const struct timespec* ts) {\n',
    `static uint64_t timespec_to_uint64 (const struct timespec* ts) {\n  if (ts->tv_nsec == UTIME_OMIT) return 1; ${MARK}\n  if (ts->tv_nsec == UTIME_NOW) return 2;\n`,
  ],
  ['  struct fuse_operations ops = { };\n', `  struct fuse_operations ops = { };\n  ops.flag_utime_omit_ok = 1; ${MARK}\n`],
];

let src = readFileSync(file, 'utf8');
const done = src.split(MARK).length - 1;
if (done === edits.length) {
  console.log('ok');
  process.exit(0);
}
if (done !== 0) {
  console.error(`${file} is partly patched (${done} of ${edits.length}); reinstall it with npm ci`);
  process.exit(1);
}
for (const [from, to] of edits) {
  if (src.split(from).length !== 2) {
    console.error(`${file}: expected exactly one "${from.trim()}"; the binding's source changed, update scripts/patch-binding.mjs`);
    process.exit(1);
  }
  src = src.replace(from, to);
}
writeFileSync(file, src);
console.log('patched');
