import { joinPosix } from '../util/posix-path.js';
import type { ChangeFeed, Drive, DriveWriter, Quota, DriveAbout, RemoteEntry, UploadSource } from './types.js';

/**
 * A drive seen from one of its folders (`drivemount mount NAME:/sub/path`). Works for every
 * driver, whatever its own notion of a root.
 */
export class SubtreeDrive implements Drive {
  readonly writer?: DriveWriter;

  constructor(private readonly inner: Drive, private readonly prefix: string) {
    if (inner.listPages) this.listPages = (p, dir) => inner.listPages!(this.full(p), dir);
    const w = inner.writer;
    if (w) {
      const full = (p: string) => this.full(p);
      this.writer = {
        checkName: (p) => w.checkName(full(p)),
        upload: (p, src: UploadSource, o) => w.upload(full(p), src, o),
        resumeUpload: w.resumeUpload ? (p, src, session, o) => w.resumeUpload!(full(p), src, session, o) : undefined,
        mkdir: (p) => w.mkdir(full(p)),
        move: (from, e, to, o) => w.move(full(from), e, full(to), o),
        remove: (p, e) => w.remove(full(p), e),
        setModified: w.setModified ? (p, e, t) => w.setModified!(full(p), e, t) : undefined,
      };
    }
  }

  get name() {
    return this.inner.name;
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  async connect(): Promise<void> {
    await this.inner.connect();
    const root = await this.inner.stat(this.prefix);
    if (!root.isDir) throw new Error(`${this.prefix} on remote "${this.name}" is a file, not a folder`);
  }
  stat(path: string): Promise<RemoteEntry> {
    return this.inner.stat(this.full(path));
  }
  list(path: string, dir?: RemoteEntry): Promise<RemoteEntry[]> {
    return this.inner.list(this.full(path), dir);
  }
  /** Set in the constructor where the inner drive has it (the cache checks for it). */
  readonly listPages?: (path: string, dir?: RemoteEntry) => AsyncIterable<RemoteEntry[]>;
  /** The inner drive's feed: it names items by id, which need no prefix. */
  changes(): ChangeFeed | undefined {
    return this.inner.changes?.();
  }
  readRange(path: string, entry: RemoteEntry, start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer> {
    return this.inner.readRange(this.full(path), entry, start, end, signal);
  }
  quota(): Promise<Quota> {
    return this.inner.quota();
  }

  about(): Promise<DriveAbout> {
    return this.inner.about();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  private full(path: string): string {
    return joinPosix(this.prefix, path);
  }
}
