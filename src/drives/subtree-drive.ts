import { joinPosix } from '../config/remote-spec.js';
import type { Drive, DownloadLink, Quota, RemoteEntry } from './types.js';

/**
 * A drive seen from one of its folders (`drivemount mount NAME:/sub/path`). Works for every
 * driver, whatever its own notion of a root.
 */
export class SubtreeDrive implements Drive {
  constructor(private readonly inner: Drive, private readonly prefix: string) {}

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
  downloadLink(path: string, entry: RemoteEntry): Promise<DownloadLink> {
    return this.inner.downloadLink(this.full(path), entry);
  }
  quota(): Promise<Quota> {
    return this.inner.quota();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  private full(path: string): string {
    return joinPosix(this.prefix, path);
  }
}
