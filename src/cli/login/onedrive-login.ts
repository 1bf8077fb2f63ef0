import { randomBytes } from 'node:crypto';
import { resolveConfigPath } from '../../config/config-file.js';
import { driveBase, parseOneDriveConfig, REGIONS } from '../../drives/onedrive/config.js';
import { DriveLookup } from '../../drives/onedrive/drive-lookup.js';
import {
  authorizeUrl, codeFromRedirect, exchangeCode, FILES_SCOPE, LoginRefused, pollDeviceCode, SITES_SCOPE, startDeviceCode,
  type AadApp, type LoginTokens,
} from '../../drives/onedrive/login.js';
import { HttpClient } from '../../http/client.js';
import { ConfigError } from '../../util/errors.js';
import { Prompter } from '../prompter.js';
import { LoopbackRedirect } from './loopback-redirect.js';
import { openBrowser } from './open-browser.js';
import { previousSettings, saveRemote } from './save-remote.js';
import { describeSpace } from '../format.js';
import { positive } from '../option-numbers.js';

export interface OneDriveLoginOptions {
  config?: string;
  name: string;
  clientId?: string;
  clientSecret?: string;
  tenant?: string;
  region?: string;
  browser?: boolean; // false with --no-browser
  deviceCode?: boolean;
  port: string;
  driveId?: string;
  siteUrl?: string;
  rootPath?: string;
  authUrl?: string;
  graphUrl?: string;
  timeout: string;
}

/** Which drive of the account the remote mounts. */
type DriveChoice = { kind: 'own' } | { kind: 'drive'; driveId: string } | { kind: 'site'; siteUrl: string } | { kind: 'siteId'; siteId: string };

/** The redirect the seed's app registration uses; the service ignores the port of a localhost redirect. */
const PASTE_REDIRECT = 'http://localhost/';

export async function oneDriveLogin(o: OneDriveLoginOptions, term = new Prompter()): Promise<number> {
  const file = resolveConfigPath(o.config);
  const old = await previousSettings(file, o.name, 'onedrive');
  const region = (o.region ?? old.region ?? 'global') as string;
  if (!(region in REGIONS)) throw new ConfigError(`--region must be one of ${Object.keys(REGIONS).join(', ')} (got "${region}")`);
  const clientId = o.clientId ?? (old.clientId as string | undefined);
  if (!clientId) {
    throw new ConfigError(
      'pass --client-id (and --client-secret for a web app): drivemount has no app registration of its own. ' +
        'Register one as README "OneDrive: register an app" shows, with redirect URI http://localhost/',
    );
  }
  const settings: Record<string, unknown> = {
    ...old,
    type: 'onedrive',
    clientId,
    clientSecret: o.clientSecret ?? old.clientSecret,
    tenant: o.tenant ?? old.tenant,
    region: region === 'global' ? undefined : region,
    authUrl: o.authUrl ?? old.authUrl,
    graphUrl: o.graphUrl ?? old.graphUrl,
    rootPath: o.rootPath ?? old.rootPath,
    refreshToken: 'pending',
  };
  // Validates every setting (URLs, region, paths) before the user is sent to a browser.
  const cfg = parseOneDriveConfig(o.name, settings);
  const app: AadApp = { authUrl: cfg.authUrl, tenant: cfg.tenant, clientId: cfg.clientId, clientSecret: cfg.clientSecret };
  const choice = await chooseDrive(o, old, term);
  const scope = choice.kind === 'site' || choice.kind === 'siteId' ? `${FILES_SCOPE} ${SITES_SCOPE}` : FILES_SCOPE;
  const timeoutMs = positive(o.timeout, '--timeout') * 1000;

  const http = new HttpClient({ maxRetries: 2 });
  try {
    const tokens = o.deviceCode
      ? await deviceLogin(http, app, scope, timeoutMs, term)
      : o.browser === false
        ? await pasteLogin(http, app, scope, term)
        : await loopbackLogin(http, app, scope, Number(o.port), timeoutMs, term);

    const lookup = new DriveLookup(http, cfg.graphUrl, tokens.accessToken);
    delete settings.driveId;
    delete settings.siteId;
    if (choice.kind === 'site') {
      const site = await lookup.siteByUrl(choice.siteUrl);
      settings.siteId = site.id;
      term.say(`SharePoint site: ${site.displayName ?? site.id} (${site.webUrl ?? choice.siteUrl})`);
    } else if (choice.kind === 'siteId') {
      settings.siteId = choice.siteId;
    } else if (choice.kind === 'drive') {
      settings.driveId = choice.driveId;
    }
    const base = driveBase({ siteId: settings.siteId as string | undefined, driveId: settings.driveId as string | undefined });
    const drive = await lookup.drive(base);
    if (cfg.rootPath !== '/') await lookup.requireFolder(base, cfg.rootPath);
    settings.refreshToken = tokens.refreshToken;
    const outcome = await saveRemote(file, o.name, settings);
    term.say(
      `${outcome === 'created' ? 'Created' : 'Updated'} remote "${o.name}" in ${file} (mode 0600): ` +
        `${drive.driveType ?? 'OneDrive'} drive${drive.owner ? ` of ${drive.owner}` : ''}, ${describeSpace(drive.quota)}` +
        `${cfg.rootPath !== '/' ? `, folder ${cfg.rootPath}` : ''}.`,
    );
    term.say(`Check it:  drivemount about ${o.name}    Mount it:  drivemount mount ${o.name} ~/OneDrive`);
    return 0;
  } finally {
    term.close();
    await http.close();
  }
}

async function chooseDrive(o: OneDriveLoginOptions, old: Record<string, unknown>, term: Prompter): Promise<DriveChoice> {
  if (o.siteUrl && o.driveId) throw new ConfigError('pass --site-url or --drive-id, not both');
  if (o.siteUrl) return { kind: 'site', siteUrl: o.siteUrl };
  if (o.driveId) return { kind: 'drive', driveId: o.driveId };
  if (typeof old.driveId === 'string') return { kind: 'drive', driveId: old.driveId };
  if (typeof old.siteId === 'string') return { kind: 'siteId', siteId: old.siteId };
  if (!term.interactive) return { kind: 'own' };
  const kind = await term.choose(
    'Which drive should this remote mount?',
    [
      { label: 'my own drive (OneDrive personal or business)', value: 'own' as const },
      { label: 'a SharePoint site, given by its URL', value: 'site' as const },
      { label: 'another drive, given by its drive id', value: 'drive' as const },
    ],
    { default: 0, flag: '--site-url or --drive-id' },
  );
  if (kind === 'site') return { kind, siteUrl: await term.ask('Site URL (e.g. https://contoso.sharepoint.com/sites/team)', { flag: '--site-url' }) };
  if (kind === 'drive') return { kind, driveId: await term.ask('Drive id', { flag: '--drive-id' }) };
  return { kind: 'own' };
}

async function loopbackLogin(http: HttpClient, app: AadApp, scope: string, port: number, timeoutMs: number, term: Prompter): Promise<LoginTokens> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be a port number (got "${port}")`);
  const state = randomBytes(16).toString('hex');
  const loopback = new LoopbackRedirect(state);
  await loopback.listen(port);
  try {
    const url = authorizeUrl(app, { redirectUri: loopback.redirectUri, state, scope });
    term.say('Open this address in a browser and sign in (waiting for the redirect to ' + loopback.redirectUri + '):');
    term.say(`\n  ${url}\n`);
    openBrowser(url);
    const hit = await withTimeout(loopback.hit, timeoutMs, 'no sign-in came back from the browser');
    const code = codeFromRedirect(hit, state);
    term.say('Signed in; fetching the tokens.');
    return await exchangeCode(http, app, code, loopback.redirectUri);
  } finally {
    await loopback.close();
  }
}

/** The seed's manual flow: the browser ends on an unreachable localhost page whose address holds the code. */
async function pasteLogin(http: HttpClient, app: AadApp, scope: string, term: Prompter): Promise<LoginTokens> {
  const state = randomBytes(16).toString('hex');
  term.say('Open this address in a browser and sign in:');
  term.say(`\n  ${authorizeUrl(app, { redirectUri: PASTE_REDIRECT, state, scope })}\n`);
  term.say('The browser then fails to load a page on localhost: copy its whole address and paste it here.');
  for (let attempt = 1; ; attempt++) {
    const line = await term.line('Redirected address: ');
    if (line === undefined) throw new ConfigError('input ended before the redirected address was pasted');
    const text = line.trim();
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (url && (url.searchParams.has('code') || url.searchParams.has('error'))) {
      const code = codeFromRedirect(url, state);
      return exchangeCode(http, app, code, PASTE_REDIRECT);
    }
    const why = url ? 'it has no "code=" in it' : 'it is not an address';
    if (attempt >= 3) throw new ConfigError(`the pasted text is not the redirected address (${why}); run the login again`);
    term.say(`That is not the redirected address (${why}); it starts with ${PASTE_REDIRECT}?code=. Try again.`);
  }
}

async function deviceLogin(http: HttpClient, app: AadApp, scope: string, timeoutMs: number, term: Prompter): Promise<LoginTokens> {
  const dc = await startDeviceCode(http, app, scope);
  term.say(dc.message || `To sign in, open ${dc.verificationUri} and enter the code ${dc.userCode}.`);
  term.say(`  address: ${dc.verificationUri}\n  code:    ${dc.userCode}\nWaiting (the code lasts ${Math.round(dc.expiresInSec / 60)} min)…`);
  return pollDeviceCode(http, app, { ...dc, expiresInSec: Math.min(dc.expiresInSec, timeoutMs / 1000) });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoginRefused(`${what} within ${Math.round(ms / 1000)} s (--timeout)`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}


