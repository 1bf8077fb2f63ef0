import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { DriveError } from '../../src/util/errors.js';
import type { ContentSource } from '../../src/vfs/prefetch/content-source.js';

/** What the Nth request (1-based) does instead of serving its range in full. */
export type ContentFault =
  | { cutAfter: number } // serve this many bytes, then throw EIO (a driver that gave up mid-range)
  | { fail: true } // throw EIO before any byte
  | { failLate: number }; // throw EIO after this many ms (sooner if aborted)

/**
 * A file's content in memory, served in 64 KiB chunks, with every request recorded: the
 * prefetcher's rules are tested against it without sockets.
 */
export function memoryContent(data: Buffer, faults: (n: number) => ContentFault | undefined = () => undefined) {
  const requests: [number, number][] = [];
  const source: ContentSource = async function* (start, end, signal) {
    requests.push([start, end]);
    const fault = faults(requests.length);
    if (fault && 'failLate' in fault) {
      await sleep(fault.failLate, undefined, { signal }).catch(() => undefined);
      throw new DriveError('EIO', 'injected late failure');
    }
    if (fault && 'fail' in fault) throw new DriveError('EIO', 'injected failure');
    const stop = Math.min(end, data.length, fault && 'cutAfter' in fault ? start + fault.cutAfter : Infinity);
    for (let p = start; p < stop; p += 65536) {
      await tick(); // bytes arrive asynchronously, as from a network
      if (signal.aborted) throw new DriveError('EIO', 'aborted');
      yield data.subarray(p, Math.min(stop, p + 65536));
    }
    if (fault && 'cutAfter' in fault) throw new DriveError('EIO', 'injected cut');
  };
  return { source, requests };
}
