// Run by main.ts before the program loads: a mount keeps V8's young generation at its starting
// size and its old generation close to what is alive.
import v8 from 'node:v8';

/**
 * Heap settings for a long-running mount, measured on `ls -l` of a 100,000-entry folder
 * (native-notes/tree-walks.md, "Memory"):
 * - V8 doubles the young generation (two semi-spaces) whenever much of it survives a scavenge,
 *   up to 16 MiB a semi-space, and keeps it while the process is busy: listing that folder grew
 *   it to 32 MB of RSS. The growth factor 1 keeps it at its starting 1 MiB a semi-space. A
 *   mount's objects live for one FUSE call or stay in the caches, and the bytes it reads and
 *   writes are outside the V8 heap, so a small nursery costs little.
 * - With a small nursery more garbage reaches the old generation, which V8 lets grow to up to
 *   four times what was alive at its last collection before collecting again: old space and
 *   large objects then took 110 MB where 50 MB was alive. Growing by 20 % at most keeps it near
 *   what is alive, for a few more (mostly concurrent) collections.
 * Together: peak RSS 170 → 138–147 MB, `ls -l` as fast as before.
 *
 * `--max-semi-space-size` and the like act only on node's command line, which a foreground mount
 * (`drivemount mount …` is the CLI's own process) does not choose. Both flags here are read each
 * time V8 would grow a space, so set before anything has grown (main.ts runs this before loading
 * the program) they hold.
 */
export function tuneHeapForMount(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--heap-growing-percent=20');
}

/** The command being run: the first argument that is neither an option nor the value of `--config`. */
export function commandOf(args: readonly string[]): string | undefined {
  return args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '--config');
}

// Only the long-running commands that hold caches (a mount, the demo's mount); the emulator
// builds big JSON answers and keeps V8's defaults.
const cmd = commandOf(process.argv.slice(2));
if (cmd === 'mount' || cmd === 'demo') tuneHeapForMount();
