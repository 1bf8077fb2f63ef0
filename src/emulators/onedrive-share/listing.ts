// The two listing routes of the web client: the first page through the v2.1 GraphQL endpoint
// (legacy.renderListDataAsStream), the following ones through
// GetListUsingPath(DecodedUrl=@a1)/RenderListDataAsStream with the NextHref the previous page gave.

import { randomUUID } from 'node:crypto';
import type { ShareItem, ShareTree } from './items.js';
import { accessDenied, badRequest, fileNotFound } from './errors.js';

export interface ListingAnswer {
  Row: Record<string, string | number>[];
  FirstRow: number;
  LastRow: number;
  NextHref?: string;
}

export class Listing {
  readonly viewId = `{${randomUUID().toUpperCase()}}`;
  /**
   * The children a first page was cut from, by folder: the following pages continue that
   * listing (as SharePoint's key-based paging does) instead of reading the folder again.
   */
  private readonly snapshots = new Map<string, ShareItem[]>();

  constructor(
    private readonly tree: ShareTree,
    /** Server-relative URL of the document library. */
    readonly listUrl: string,
    private readonly pageSize: () => number,
    private readonly rowBase: () => string,
  ) {}

  /** The ViewXml the client must send back with every following page. */
  viewXml(): string {
    return (
      `<View Name="${this.viewId}" DefaultView="TRUE" MobileView="TRUE" Type="HTML" DisplayName="All Documents" Url="${this.listUrl}/Forms/AllItems.aspx" Level="1" BaseViewID="51" ContentTypeID="0x" ImageUrl="/_layouts/15/images/dlicon.png?rev=47">` +
      `<Query><OrderBy><FieldRef Name="FileLeafRef" /></OrderBy></Query>` +
      `<ViewFields><FieldRef Name="DocIcon" /><FieldRef Name="LinkFilename" /><FieldRef Name="Modified" /><FieldRef Name="Editor" /><FieldRef Name="FileSizeDisplay" /></ViewFields>` +
      `<RowLimit Paged="TRUE">${this.pageSize()}</RowLimit><JSLink>clienttemplates.js</JSLink><XslLink Default="TRUE">main.xsl</XslLink><Toolbar Type="Standard"/></View>`
    );
  }

  /** The first page: `body` is the GraphQL request. */
  async graphql(body: unknown): Promise<unknown> {
    const b = body as { query?: unknown; variables?: Record<string, unknown> };
    if (typeof b?.query !== 'string') throw badRequest('The request has no GraphQL query.');
    const call = /renderListDataAsStream\s*\(([^)]*)\)/.exec(b.query);
    if (!/\blegacy\s*\{/.test(b.query) || !call) throw badRequest('Only legacy { renderListDataAsStream(...) } is served here.');
    const args: Record<string, unknown> = {};
    for (const m of call[1]!.matchAll(/(\w+)\s*:\s*\$(\w+)/g)) {
      if (!b.variables || !(m[2]! in b.variables)) throw badRequest(`Variable $${m[2]} is not defined.`);
      args[m[1]!] = b.variables[m[2]!];
    }
    const listUrl = args.listServerRelativeUrl;
    const params = args.parameters as Record<string, unknown> | undefined;
    const queryString = args.queryString;
    if (typeof listUrl !== 'string' || typeof params !== 'object' || params === null || typeof queryString !== 'string') {
      throw badRequest('renderListDataAsStream takes listServerRelativeUrl, parameters and queryString.');
    }
    if (listUrl !== this.listUrl) throw fileNotFound(`List '${listUrl}' does not exist at site.`);
    if (typeof params.renderOptions !== 'number') throw badRequest('parameters.renderOptions must be a number.');
    const folder = params.folderServerRelativeUrl;
    if (typeof folder !== 'string') throw badRequest('parameters.folderServerRelativeUrl is missing.');
    const q = new URLSearchParams(queryString);
    this.checkAlias(q.get('@a1'));
    if (q.get('RootFolder') !== folder) throw badRequest('queryString RootFolder differs from folderServerRelativeUrl.');
    const page = await this.page(folder, 0, true);
    return { data: { legacy: { renderListDataAsStream: { ListData: page, ViewMetadata: { ListViewXml: this.viewXml() } } } } };
  }

  /** A following page: the NextHref's query, and the parameters body. */
  async next(query: URLSearchParams, body: unknown): Promise<unknown> {
    this.checkAlias(query.get('@a1'));
    const p = (body as { parameters?: Record<string, unknown> })?.parameters;
    if (!p || (p.__metadata as { type?: string } | undefined)?.type !== 'SP.RenderListDataParameters') {
      throw badRequest('The body must be {"parameters": {"__metadata": {"type": "SP.RenderListDataParameters"}, ...}}.');
    }
    if (typeof p.RenderOptions !== 'number') throw badRequest('parameters.RenderOptions must be a number.');
    if (p.ViewXml !== this.viewXml()) throw badRequest('parameters.ViewXml is not the view this list answered with.');
    const folder = query.get('RootFolder');
    const first = Number(query.get('PageFirstRow'));
    if (query.get('Paged') !== 'TRUE' || folder === null || !Number.isInteger(first) || first < 1) {
      throw badRequest('The paging query (Paged, PageFirstRow, RootFolder) is missing or malformed.');
    }
    return { ListData: await this.page(folder, first - 1) };
  }

  private checkAlias(a1: string | null): void {
    const m = a1 === null ? null : /^'(.*)'$/.exec(a1);
    if (!m || decodeURIComponent(m[1]!) !== this.listUrl) throw badRequest(`@a1 must name the list '${this.listUrl}' (got ${a1 ?? 'nothing'}).`);
  }

  private async page(folder: string, offset: number, first = false): Promise<ListingAnswer> {
    const rel = this.tree.relOf(folder);
    if (rel === undefined) throw accessDenied('The folder is not part of this share.');
    let children = first ? undefined : this.snapshots.get(rel);
    if (!children) {
      children = await this.tree.children(rel);
      if (!children) throw fileNotFound();
      this.snapshots.set(rel, children);
    }
    const size = Math.max(1, this.pageSize());
    const rows = children.slice(offset, offset + size);
    const out: ListingAnswer = { Row: rows.map((c) => this.row(folder, c)), FirstRow: offset + 1, LastRow: offset + rows.length };
    if (offset + size < children.length) {
      const last = rows[rows.length - 1]!;
      out.NextHref =
        `?Paged=TRUE&p_FileLeafRef=${encodeURIComponent(last.name)}&p_ID=${idNumber(last)}&PageFirstRow=${offset + size + 1}` +
        `&RootFolder=${encodeURIComponent(folder)}&View=${encodeURIComponent(this.viewId)}`;
    }
    return out;
  }

  private row(folder: string, c: ShareItem): Record<string, string | number> {
    const mtime = c.stat.mtime;
    const birth = c.stat.birthtimeMs > 0 ? c.stat.birthtime : mtime;
    return {
      ID: idNumber(c),
      FSObjType: c.isDir ? '1' : '0',
      FileLeafRef: c.name,
      FileRef: `${folder.replace(/\/+$/, '')}/${c.name}`,
      UniqueId: `{${c.uniqueId}}`,
      // SharePoint reports times to the second; the dotted field is the machine-readable one.
      'Modified.': iso(mtime),
      Modified: display(mtime),
      'Created.': iso(birth),
      File_x0020_Size: c.isDir ? '' : String(c.stat.size),
      '.spItemUrl': `${this.rowBase()}/_api/v2.0/drives/b!share/items/${c.uniqueId}?version=Published`,
    };
  }
}

const idNumber = (c: ShareItem) => parseInt(c.uniqueId.slice(0, 6), 16);
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** The site's display format (en-US), what `Modified` without the dot holds. */
const display = (d: Date) => d.toLocaleString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit' }).replace(',', '');
