import type { Drive, RemoteEntry } from '../../drives/types.js';

/** The bytes [start, end) of one file, in order; shorter only where the file really ends. */
export type ContentSource = (start: number, end: number, signal: AbortSignal) => AsyncIterable<Buffer>;

/** One file's content as the drive serves it. */
export function driveContent(drive: Drive, path: string, entry: RemoteEntry): ContentSource {
  return (start, end, signal) => drive.readRange(path, entry, start, end, signal);
}
