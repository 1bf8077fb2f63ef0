import type { HttpClient } from '../../http/client.js';
import { DriveError } from '../../util/errors.js';
import type { RemoteEntry } from '../types.js';
import { shareJson } from './share-api.js';
import type { ShareSession } from './share-session.js';
import type { ShareSite } from './share-site.js';

/** One row of RenderListDataAsStream: the fields the driver reads. */
export interface ListRow {
  FSObjType?: string;
  FileLeafRef?: string;
  'Modified.'?: string;
  Modified?: string;
  'Created.'?: string;
  File_x0020_Size?: string;
  UniqueId?: string;
}

interface ListData {
  Row?: ListRow[];
  NextHref?: string;
}

interface FirstPage {
  data?: { legacy?: { renderListDataAsStream?: { ListData?: ListData; ViewMetadata?: { ListViewXml?: string } } } };
  errors?: { message?: string }[];
}

/** The render options the web client sends for the first page and for the following ones. */
const FIRST_RENDER_OPTIONS = 5707527;
const NEXT_RENDER_OPTIONS = 1216519;

const QUERY =
  'query ($listServerRelativeUrl: String!, $renderListDataAsStreamParameters: RenderListDataAsStreamParameters!, $renderListDataAsStreamQueryString: String!) ' +
  '{ legacy { renderListDataAsStream(listServerRelativeUrl: $listServerRelativeUrl, parameters: $renderListDataAsStreamParameters, queryString: $renderListDataAsStreamQueryString) } }';

/** `'…'`-quoted, percent-encoded server-relative URL, as the `@a1` alias takes it. */
const alias = (serverRelative: string) => `'${encodeURIComponent(serverRelative)}'`;

/** Every row of one folder, following NextHref to the last page. */
export async function listFolder(http: HttpClient, session: ShareSession, folder: string, what: string): Promise<ListRow[]> {
  const first = await shareJson<FirstPage>(http, session, what, (s) => `${s.site.origin}${encodeURI(s.site.webPath)}/_api/v2.1/graphql`, (s) => firstPageBody(s.site, folder));
  if (first.errors?.length) throw new DriveError('EIO', `${what}: ${first.errors.map((e) => e.message).join('; ')}`);
  const answer = first.data?.legacy?.renderListDataAsStream;
  const rows = [...(answer?.ListData?.Row ?? [])];
  const viewXml = answer?.ViewMetadata?.ListViewXml ?? '';
  let next = answer?.ListData?.NextHref;
  while (next) {
    const href: string = next;
    const page = await shareJson<{ ListData?: ListData } & ListData>(
      http,
      session,
      what,
      (s) => `${s.site.origin}${encodeURI(s.site.webPath)}/_api/web/GetListUsingPath(DecodedUrl=@a1)/RenderListDataAsStream${href}&@a1=${alias(s.site.listUrl)}&TryNewExperienceSingle=TRUE`,
      () => ({
        parameters: {
          __metadata: { type: 'SP.RenderListDataParameters' },
          RenderOptions: NEXT_RENDER_OPTIONS,
          ViewXml: viewXml,
          AllowMultipleValueFilterForTaxonomyFields: true,
          AddRequiredFields: true,
        },
      }),
    );
    const data = page.ListData ?? page;
    rows.push(...(data.Row ?? []));
    next = data.NextHref;
  }
  return rows;
}

function firstPageBody(site: ShareSite, folder: string): unknown {
  return {
    query: QUERY,
    variables: {
      listServerRelativeUrl: site.listUrl,
      renderListDataAsStreamParameters: {
        renderOptions: FIRST_RENDER_OPTIONS,
        allowMultipleValueFilterForTaxonomyFields: true,
        addRequiredFields: true,
        folderServerRelativeUrl: folder,
      },
      renderListDataAsStreamQueryString: `@a1=${alias(site.listUrl)}&RootFolder=${encodeURIComponent(folder)}&TryNewExperienceSingle=TRUE`,
    },
  };
}

/** A row as the mount sees it; the id is the item's UniqueId without braces (what download.aspx takes). */
export function rowToEntry(row: ListRow): RemoteEntry | undefined {
  if (!row.FileLeafRef || !row.UniqueId) return undefined;
  const mtime = parseTime(row['Modified.']);
  return {
    id: row.UniqueId.replace(/^\{|\}$/g, '').toLowerCase(),
    name: row.FileLeafRef,
    isDir: row.FSObjType === '1',
    size: row.FSObjType === '1' ? 0 : Number(row.File_x0020_Size ?? 0) || 0,
    mtimeMs: mtime,
    birthtimeMs: parseTime(row['Created.']) || mtime,
  };
}

function parseTime(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
