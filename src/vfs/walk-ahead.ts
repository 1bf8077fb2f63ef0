import type { Logger } from '../util/log.js';
import { joinPosix, splitPath } from '../util/posix-path.js';
import type { ListedNames } from './listing.js';

export interface WalkAheadOptions {
  /** Listings fetched at once ahead of the walk (within the drive's own pacing). */
  concurrency: number;
  /** A walk ends when no folder was listed by a program for this long. */
  idleMs: number;
  /** Listings fetched ahead and not yet asked for, at most. */
  lead: number;
}

export const DEFAULT_WALK_AHEAD: WalkAheadOptions = { concurrency: 8, idleMs: 2000, lead: 256 };

/**
 * Lists folders ahead of a program that walks a tree (find, du, rsync, backup scanners), so the
 * walk waits about one round trip per level instead of one per folder. A walk is a program
 * listing a folder whose parent it listed shortly before; a single `ls` (or `ls` of the folders
 * one at a time, far apart) starts nothing. The crawl runs depth-first just ahead of the program,
 * a bounded number of listings at once and in lead, and stops once the program stops listing.
 */
export class WalkAhead {
  /** Folders a program listed, with when (bounded: oldest dropped). */
  private readonly listedAt = new Map<string, number>();
  /** Folders to list next, first first. */
  private queue: string[] = [];
  private readonly queued = new Set<string>();
  /** Fetched ahead, not yet listed by a program. */
  private readonly ahead = new Set<string>();
  private running = 0;
  private lastProgramListing = 0;
  readonly counters = { fetched: 0 };

  constructor(
    /** The cached listing (fetching it if needed): what the program's own readdir will find. */
    private readonly list: (path: string) => Promise<ListedNames>,
    private readonly log: Logger,
    private readonly opts: WalkAheadOptions = DEFAULT_WALK_AHEAD,
  ) {}

  /** A program listed `path` and got `children`. */
  programListed(path: string, children: ListedNames): void {
    if (this.opts.concurrency <= 0) return;
    const now = Date.now();
    if (now - this.lastProgramListing > this.opts.idleMs) this.ahead.clear(); // a new walk
    this.lastProgramListing = now;
    this.ahead.delete(path);
    this.listedAt.delete(path);
    this.listedAt.set(path, now);
    if (this.listedAt.size > 4096) this.listedAt.delete(this.listedAt.keys().next().value!);
    if (path === '/') return;
    const parentAt = this.listedAt.get(splitPath(path).parent);
    if (parentAt === undefined || now - parentAt > this.opts.idleMs) return; // not a walk
    this.enqueueFront(subfolders(path, children));
    this.pump();
    // The folders beside this one come after its own subtree (the parent's listing is cached).
    const parent = splitPath(path).parent;
    this.list(parent).then(
      (siblings) => {
        this.enqueueBack(subfolders(parent, siblings));
        this.pump();
      },
      () => undefined,
    );
  }

  private enqueueBack(paths: string[]): void {
    for (const p of paths) {
      if (this.queued.has(p) || this.listedAt.has(p) || this.ahead.has(p)) continue;
      this.queued.add(p);
      this.queue.push(p);
    }
  }

  stop(): void {
    this.queue = [];
    this.queued.clear();
  }

  private enqueueFront(paths: string[]): void {
    const fresh = paths.filter((p) => !this.queued.has(p) && !this.listedAt.has(p) && !this.ahead.has(p));
    for (const p of fresh) this.queued.add(p);
    // Not unshift(...fresh): a folder with hundreds of thousands of subfolders would overflow the call's arguments.
    this.queue = fresh.concat(this.queue);
  }

  private pump(): void {
    while (this.running < this.opts.concurrency && this.queue.length > 0 && this.ahead.size < this.opts.lead) {
      if (Date.now() - this.lastProgramListing > this.opts.idleMs) {
        this.stop(); // the program stopped walking: nothing more is fetched for it
        return;
      }
      const path = this.queue.shift()!;
      this.queued.delete(path);
      this.running++;
      this.ahead.add(path);
      this.list(path)
        .then((children) => {
          this.counters.fetched++;
          // Depth-first, like the walkers: this folder's subfolders before its later siblings.
          this.enqueueFront(subfolders(path, children));
        })
        .catch((e: unknown) => {
          this.ahead.delete(path);
          this.log.debug({ path, err: (e as Error).message }, 'listing ahead of a walk failed');
        })
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}

function subfolders(path: string, children: ListedNames): string[] {
  const out: string[] = [];
  for (let s = 0; s < children.size; s++) if (children.isDirAt(s)) out.push(joinPosix(path, children.nameAt(s)));
  return out;
}
