// The share emulator on the wire, and the share driver in-process against it: the link's
// redirect and cookie, the password form, both listing routes with paging, download.aspx with
// Range, the sign-in page for an expired cookie, and one renewal for concurrent readers.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { MemoryCredentialStore } from '../../src/config/credential-store.js';
import { parseShareConfig } from '../../src/drives/onedrive-share/config.js';
import { passwordForm } from '../../src/drives/onedrive-share/share-access.js';
import { ShareDrive } from '../../src/drives/onedrive-share/share-drive.js';
import { isSiteLink, shareSiteFrom } from '../../src/drives/onedrive-share/share-site.js';
import { ShareSession } from '../../src/drives/onedrive-share/share-session.js';
import { downloadUrlFromTemplate, fetchPageContext } from '../../src/drives/onedrive-share/page-context.js';
import { SHARED_FOLDER, startShareEmulator, type ShareEmulator } from '../../src/emulators/onedrive-share/server.js';
import { HttpClient } from '../../src/http/client.js';
import { ConfigError, DriveError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import type { Drive, RemoteEntry } from '../../src/drives/types.js';

const BIG = randomBytes(3 * 1024 * 1024 + 17);

async function bytes(drive: Drive, p: string, e: RemoteEntry, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of drive.readRange(p, e, start, end)) parts.push(b);
  return Buffer.concat(parts);
}

describe('OneDrive share emulator and driver', () => {
  let root: string;
  let open: ShareEmulator;
  let locked: ShareEmulator;
  const clients: HttpClient[] = [];
  const driveFor = (emu: ShareEmulator, password?: string) => {
    const http = new HttpClient({ logger: silentLogger, baseDelayMs: 20 });
    clients.push(http);
    return new ShareDrive('t', parseShareConfig('t', { type: 'onedrive-share', url: emu.shareUrl, password }), { http, store: new MemoryCredentialStore(undefined), log: silentLogger });
  };

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'dm-share-emu-'));
    await mkdir(path.join(root, 'Sub Folder'));
    await writeFile(path.join(root, 'Sub Folder', 'a #b %c ü.txt'), 'inner');
    await writeFile(path.join(root, 'big.bin'), BIG);
    for (let i = 0; i < 95; i++) await writeFile(path.join(root, `f${String(i).padStart(3, '0')}.txt`), String(i));
    open = await startShareEmulator({ root });
    locked = await startShareEmulator({ root, password: 'sesame' });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await open.close();
    await locked.close();
    await rm(root, { recursive: true, force: true });
  });

  it('the link answers a redirect to the folder page with the FedAuth cookie', async () => {
    const res = await fetch(open.shareUrl, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const loc = res.headers.get('location')!;
    assert.match(res.headers.get('set-cookie') ?? '', /^FedAuth=/);
    const site = shareSiteFrom(loc);
    assert.equal(site.rootFolder, SHARED_FOLDER);
    assert.equal(site.webPath, '/personal/jdoe_contoso_com');
    assert.equal(site.listUrl, '/personal/jdoe_contoso_com/Documents');
    assert.equal(site.downloadUrl, `${open.url}/personal/jdoe_contoso_com/_layouts/15/download.aspx`);
  });

  it('a protected link answers its password form; a post without the hidden fields is refused', async () => {
    const res = await fetch(locked.shareUrl, { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('set-cookie'), null);
    const form = passwordForm(await res.text(), locked.shareUrl);
    assert.ok(form, 'the page has a password form');
    assert.ok(form.hidden.__VIEWSTATE && form.hidden.__EVENTVALIDATION);
    assert.match(form.action, /guestaccess\.aspx\?share=.*&e=/, 'the action is decoded from its HTML entities');
    const bare = await fetch(form.action, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'txtPassword=sesame' });
    assert.equal(bare.status, 400);
    assert.equal(bare.headers.get('set-cookie'), null);
  });

  it('the driver opens a protected link with its password; a wrong or missing one is a ShareRefused (ConfigError)', async () => {
    const names = (await driveFor(locked, 'sesame').list('/')).map((e) => e.name);
    assert.ok(names.includes('big.bin'));
    for (const pw of ['wrong', undefined]) {
      await assert.rejects(driveFor(locked, pw).connect(), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match((e as Error).message, pw ? /wrong/ : /password protected/);
        return true;
      });
    }
  });

  it('listing follows NextHref: one GraphQL page, then RenderListDataAsStream pages of 30 rows', async () => {
    open.resetStats();
    const entries = await driveFor(open).list('/');
    assert.equal(entries.length, 97);
    const s = open.stats();
    assert.equal(s.graphql, 1);
    assert.equal(s.renderList, 3);
    const sub = entries.find((e) => e.name === 'Sub Folder')!;
    assert.equal(sub.isDir, true);
    const big = entries.find((e) => e.name === 'big.bin')!;
    assert.equal(big.size, BIG.length);
    assert.equal(big.isDir, false);
    assert.match(big.id, /^[0-9a-f-]{36}$/, 'the id is the UniqueId without braces');
    assert.ok(big.mtimeMs > 0);
    const inner = await driveFor(open).list('/Sub Folder');
    assert.deepEqual(inner.map((e) => [e.name, e.size]), [['a #b %c ü.txt', 5]]);
  });

  it('a following page with another ViewXml than the list answered with is refused', async () => {
    const cookieRes = await fetch(open.shareUrl, { redirect: 'manual' });
    const cookie = (cookieRes.headers.get('set-cookie') ?? '').split(';')[0]!;
    const a1 = `'${encodeURIComponent('/personal/jdoe_contoso_com/Documents')}'`;
    const res = await fetch(`${open.url}/personal/jdoe_contoso_com/_api/web/GetListUsingPath(DecodedUrl=@a1)/RenderListDataAsStream?Paged=TRUE&PageFirstRow=31&RootFolder=${encodeURIComponent(SHARED_FOLDER)}&@a1=${a1}&TryNewExperienceSingle=TRUE`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json;odata=verbose' },
      body: JSON.stringify({ parameters: { __metadata: { type: 'SP.RenderListDataParameters' }, RenderOptions: 1216519, ViewXml: '<View/>' } }),
    });
    assert.equal(res.status, 400);
  });

  it('stat finds an item by listing its folder; an absent name is ENOENT', async () => {
    const d = driveFor(open);
    const e = await d.stat('/Sub Folder/a #b %c ü.txt');
    assert.equal(e.size, 5);
    await assert.rejects(d.stat('/Sub Folder/nope'), (x: unknown) => x instanceof DriveError && x.code === 'ENOENT');
    assert.equal((await d.stat('/')).isDir, true);
  });

  it('download.aspx serves ranges with the cookie; the driver reads any range identically', async () => {
    const d = driveFor(open);
    const big = await d.stat('/big.bin');
    assert.deepEqual(await bytes(d, '/big.bin', big, 0, BIG.length), BIG);
    assert.deepEqual(await bytes(d, '/big.bin', big, 1_000_000, 1_000_100), BIG.subarray(1_000_000, 1_000_100));
    assert.deepEqual(await bytes(d, '/big.bin', big, BIG.length - 5, BIG.length + 100), BIG.subarray(BIG.length - 5), 'a range past the end stops at the end');
  });

  it('an expired cookie gets the sign-in page instead of bytes; concurrent readers renew it once', async () => {
    const d = driveFor(open);
    const big = await d.stat('/big.bin');
    open.setFaults({ cookieTtlSec: 1 });
    try {
      await new Promise((r) => setTimeout(r, 1100));
      open.resetStats();
      const ranges = Array.from({ length: 6 }, (_, i) => [i * 400_000, i * 400_000 + 300_000] as const);
      const got = await Promise.all(ranges.map(([s, e]) => bytes(d, '/big.bin', big, s, e)));
      ranges.forEach(([s, e], i) => assert.deepEqual(got[i], BIG.subarray(s, e)));
      const s = open.stats();
      assert.ok(s.downloadSignInPage >= 1, `the cookie had not expired: ${JSON.stringify(s)}`);
      assert.equal(s.cookieIssued, 1, `one renewal for all readers: ${JSON.stringify(s)}`);
    } finally {
      open.setFaults({ cookieTtlSec: 1800 });
    }
  });

  it('a cookie is renewed ahead of time once it is older than its trust, and not before', async () => {
    const http = new HttpClient({ logger: silentLogger });
    clients.push(http);
    const session = new ShareSession(http, open.shareUrl, undefined, silentLogger, 300);
    const first = await session.current();
    assert.equal(await session.current(), first, 'a young cookie is reused');
    await new Promise((r) => setTimeout(r, 350));
    const second = await session.current();
    assert.notEqual(second.jar.header(second.location), first.jar.header(first.location));
    assert.equal(session.opened, 2);
  });

  it('429s are waited out and cut bodies resume, with identical bytes', async () => {
    const d = driveFor(open);
    const big = await d.stat('/big.bin');
    open.setFaults({ throttleEvery: 2, retryAfterSec: 0, cutDownloadEvery: 2 });
    try {
      open.resetStats();
      const quarter = Math.ceil(BIG.length / 4);
      for (let at = 0; at < BIG.length; at += quarter) {
        assert.deepEqual(await bytes(d, '/big.bin', big, at, Math.min(BIG.length, at + quarter)), BIG.subarray(at, at + quarter));
      }
      assert.equal((await d.list('/')).length, 97);
      const s = open.stats();
      assert.ok(s.throttled > 0 && s.cut > 0, JSON.stringify(s));
    } finally {
      open.setFaults({ throttleEvery: 0, cutDownloadEvery: 0 });
    }
  });

  it('a revoked link: the link answers 404, that read gets EACCES (not fatal), and the share works again once shared again', async () => {
    const emu = await startShareEmulator({ root });
    try {
      const d = driveFor(emu);
      const big = await d.stat('/big.bin');
      emu.setFaults({ revoked: 1 });
      assert.equal((await fetch(emu.shareUrl, { redirect: 'manual' })).status, 404);
      await assert.rejects(bytes(d, '/big.bin', big, 0, 10), (e: unknown) => e instanceof DriveError && e.code === 'EACCES' && !e.fatal && /revoked/.test(e.message));
      await assert.rejects(d.list('/'), (e: unknown) => e instanceof DriveError && e.code === 'EACCES' && !e.fatal);
      emu.setFaults({ revoked: 0 });
      assert.deepEqual(await bytes(d, '/big.bin', big, 0, 10), BIG.subarray(0, 10), 'the same driver reads again: one refusal did not end it');
    } finally {
      await emu.close();
    }
  });

  it('a sign-in page (HTML, 200) where the folder page was expected renews the cookie: edit rights are still seen', async () => {
    const emu = await startShareEmulator({ root, faults: { editable: 1 } });
    try {
      const d = driveFor(emu);
      await d.connect();
      assert.ok(d.writer, 'editable at first');
      emu.setFaults({ cookieTtlSec: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      emu.resetStats();
      const ctx = await fetchPageContext(clients.at(-1)!, d.session);
      assert.ok(ctx.drive, 'the expired cookie was renewed, not read as "no edit rights"');
      const s = emu.stats();
      assert.equal(s.pageSignIn, 1, JSON.stringify(s));
      assert.equal(s.cookieIssued, 1, JSON.stringify(s));
    } finally {
      await emu.close();
    }
  });

  it('consumer links are refused by the config check, naming what works instead', () => {
    for (const url of ['https://onedrive.live.com/?cid=64EA5FCC7735E8C6&id=64EA5FCC7735E8C6%2117289', 'https://1drv.ms/f/s!ArwO5iEFDkD1jJNshhRIP']) {
      assert.throws(() => parseShareConfig('r', { type: 'onedrive-share', url }), (e: unknown) => e instanceof ConfigError && /consumer/.test((e as Error).message) && /login onedrive/.test((e as Error).message));
    }
    assert.throws(() => parseShareConfig('r', { type: 'onedrive-share' }), /"url" is missing/);
  });
});

describe('OneDrive share addresses derived from the redirect', () => {
  it('a personal (-my) link: site, library, folder and download.aspx next to the page', () => {
    const s = shareSiteFrom('https://contoso-my.sharepoint.com/personal/jdoe_contoso_com/_layouts/15/onedrive.aspx?id=%2Fpersonal%2Fjdoe_contoso_com%2FDocuments%2FTeam%20A&ga=1');
    assert.deepEqual(
      { web: s.webPath, list: s.listUrl, root: s.rootFolder, dl: s.downloadUrl },
      { web: '/personal/jdoe_contoso_com', list: '/personal/jdoe_contoso_com/Documents', root: '/personal/jdoe_contoso_com/Documents/Team A', dl: 'https://contoso-my.sharepoint.com/personal/jdoe_contoso_com/_layouts/15/download.aspx' },
    );
  });

  it("a SharePoint site link: the library's view page names the site", () => {
    const s = shareSiteFrom('https://contoso.sharepoint.com/sites/team/Shared%20Documents/Forms/AllItems.aspx?id=%2Fsites%2Fteam%2FShared%20Documents%2FPlans');
    assert.deepEqual(
      { web: s.webPath, list: s.listUrl, root: s.rootFolder, dl: s.downloadUrl },
      { web: '/sites/team', list: '/sites/team/Shared Documents', root: '/sites/team/Shared Documents/Plans', dl: 'https://contoso.sharepoint.com/sites/team/_layouts/15/download.aspx' },
    );
  });

  it("a SharePoint site link downloads from under the web its page's templateUrl names; a page without one names nothing", () => {
    const page = '<script>var _spPageContextInfo={"webTitle":"Team","templateUrl":"https:\\/\\/contoso.sharepoint.com\\/sites\\/team\\/sub\\/_layouts\\/15\\/onedrive.aspx"};</script>';
    assert.equal(downloadUrlFromTemplate(page), 'https://contoso.sharepoint.com/sites/team/sub/_layouts/15/download.aspx');
    assert.equal(downloadUrlFromTemplate('<html>sign in</html>'), undefined);
    assert.equal(isSiteLink('https://contoso.sharepoint.com/:f:/s/team/Eabc'), true);
    assert.equal(isSiteLink('https://contoso-my.sharepoint.com/:f:/g/personal/jdoe/Eabc'), false);
  });

  it('a redirect that names no folder is refused with a message', () => {
    assert.throws(() => shareSiteFrom('https://contoso-my.sharepoint.com/personal/x/_layouts/15/onedrive.aspx'), (e: unknown) => e instanceof ConfigError && /names no shared folder/.test((e as Error).message));
  });
});
