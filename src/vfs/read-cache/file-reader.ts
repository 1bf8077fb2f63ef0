import type { RemoteEntry } from '../../drives/types.js';
import { DriveError } from '../../util/errors.js';
import type { ContentSource } from '../prefetch/content-source.js';
import type { Prefetcher } from '../prefetch/prefetcher.js';
import type { CachedItem } from './cached-item.js';
import type { ReadCache } from './read-cache.js';
import { SequentialCheck } from './sequential-check.js';

/**
 * Reading one open file: from the on-disk cache when it holds the bytes asked for (one read
 * straight into the kernel's buffer), else through the read-ahead, whose downloads the cache
 * keeps. A handle that reads the whole file in order has it checked against the service's hash.
 */
export class FileReader {
  private readonly item?: CachedItem;
  private readonly check?: SequentialCheck;
  private prefetcher?: Prefetcher;

  constructor(
    private readonly path: string,
    private readonly entry: RemoteEntry,
    private readonly makePrefetcher: (content: ContentSource) => Prefetcher,
    private readonly content: ContentSource,
    private readonly cache?: ReadCache,
  ) {
    this.item = cache?.attach(entry);
    this.check = SequentialCheck.for(entry);
  }

  get requests(): number {
    return this.prefetcher?.requests ?? 0;
  }

  get seeks(): number {
    return this.prefetcher?.seeks ?? 0;
  }

  async read(target: Buffer, pos: number, len: number): Promise<number> {
    if (this.check?.result === false) throw this.mismatch(); // the kernel asking again for bytes that failed
    const turn = this.check?.begin(pos, len);
    let n: number | undefined;
    try {
      n = await this.item?.readHeld(target, pos, len);
      if (n === undefined) {
        this.prefetcher ??= this.makePrefetcher(this.item ? this.item.source(this.content) : this.content);
        n = await this.prefetcher.read(target, pos, len);
      }
    } catch (e) {
      if (turn) this.check!.cancel(turn);
      throw e;
    }
    if (turn && !(await this.check!.observe(turn, target.subarray(0, n)))) {
      this.cache?.drop(this.entry.id);
      throw this.mismatch().withLevel('error'); // one line, for the read that found it
    }
    return n;
  }

  private mismatch(): DriveError {
    return new DriveError('EIO', `${this.path}: the bytes read do not match the service's ${this.check!.algorithm}; the cached copy was dropped`, { level: 'debug' });
  }

  close(): void {
    this.prefetcher?.close();
    this.item?.release();
  }
}
