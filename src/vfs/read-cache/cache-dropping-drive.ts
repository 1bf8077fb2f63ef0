import type { Drive } from '../../drives/types.js';
import { forgettingWriter } from '../../drives/content/forgetting-writer.js';
import type { ReadCache } from './read-cache.js';

/** The drive as the write path sees it: every item it changes, moves or removes loses its cached bytes. */
export function withCacheDrops(drive: Drive, cache: ReadCache | undefined): Drive {
  if (!cache || !drive.writer) return drive;
  const writer = forgettingWriter(drive.writer, (id) => cache.drop(id));
  // Every other member is the drive's own, called on the drive itself: a driver method that sets
  // a field of `this` must set it on the one object the rest of the mount reads.
  return new Proxy(drive, {
    get(target, key) {
      if (key === 'writer') return writer;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
