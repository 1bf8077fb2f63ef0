// The entry point of the `drivemount` command. The heap is tuned first (mount-heap.ts), then the
// program is loaded: ES modules are all loaded before any of them runs, so a static import of the
// program would grow the heap before the tuning could take effect.
import './mount-heap.js';

await import('./program.js');
