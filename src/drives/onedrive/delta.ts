import { HttpError } from '../../http/http-error.js';
import type { ChangeFeed, ChangeRound, RemoteChange } from '../types.js';
import { toRemoteEntry, type DriveItem } from './drive-items.js';
import type { GraphApi } from './graph-api.js';
import { graphError } from './graph-errors.js';

/** A delta item: a driveItem, or only an id with the deleted facet. */
interface DeltaItem extends Partial<DriveItem> {
  id: string;
  deleted?: object;
  parentReference?: { id?: string };
}

interface DeltaPage {
  value?: DeltaItem[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** Pages of one round at most, so a runaway feed cannot pin the poller. */
const MAX_PAGES = 10_000;

/**
 * Graph's change tracking for one drive (docs/services/onedrive.md, "Change tracking"). Always
 * the root's delta: business and SharePoint drives offer no other, and a mounted sub-folder is
 * filtered by its user through the ids it knows. A cursor is a deltaLink (used verbatim).
 */
export class OneDriveChanges implements ChangeFeed {
  constructor(
    private readonly api: GraphApi,
    /** The drive's base path under /v1.0. */
    private readonly base: string,
    /** Drops the cached download link of an item the feed reports. */
    private readonly forget: (id: string) => void,
  ) {}

  async start(): Promise<string> {
    try {
      const page = await this.api.json<DeltaPage>(`${this.base}/root/delta?token=latest`);
      const link = page['@odata.deltaLink'];
      if (!link) throw new Error('the service gave no deltaLink');
      return link;
    } catch (e) {
      throw graphError(e, 'change feed');
    }
  }

  async since(cursor: string): Promise<ChangeRound> {
    const changes: RemoteChange[] = [];
    let next: string = cursor;
    try {
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        const page: DeltaPage = await this.api.json<DeltaPage>(next);
        for (const item of page.value ?? []) {
          this.forget(item.id);
          changes.push(toChange(item));
        }
        if (page['@odata.deltaLink']) return { kind: 'changes', changes, cursor: page['@odata.deltaLink'] };
        if (!page['@odata.nextLink']) throw new Error('a delta page had neither nextLink nor deltaLink');
        next = page['@odata.nextLink'];
      }
      throw new Error(`more than ${MAX_PAGES} delta pages in one round`);
    } catch (e) {
      // The token is too old: everything seen before may be wrong; start again from now.
      if (e instanceof HttpError && e.status === 410) return { kind: 'reset', cursor: await this.start() };
      throw graphError(e, 'change feed');
    }
  }
}

function toChange(item: DeltaItem): RemoteChange {
  if (item.deleted || item.name === undefined) return { kind: 'deleted', id: item.id };
  return { kind: 'item', entry: toRemoteEntry(item as DriveItem), parentId: item.root ? undefined : item.parentReference?.id };
}
