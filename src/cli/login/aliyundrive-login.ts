import QRCode from 'qrcode';
import { resolveConfigPath } from '../../config/config-file.js';
import { parseAliyundriveConfig } from '../../drives/aliyundrive/open/config.js';
import { AccountLookup } from '../../drives/aliyundrive/open/account-lookup.js';
import { exchangeAuthCode, requestQrCode, waitForQrLogin, type AliyundriveApp } from '../../drives/aliyundrive/open/login.js';
import { aliyundriveExchange } from '../../drives/aliyundrive/open/tokens.js';
import { RefreshRefused } from '../../drives/token-source.js';
import { LoginRefused } from '../../drives/login-errors.js';
import { HttpClient } from '../../http/client.js';
import { ConfigError } from '../../util/errors.js';
import { Prompter } from '../prompter.js';
import { previousSettings, saveRemote } from './save-remote.js';
import { positive } from '../option-numbers.js';

export interface AliyundriveLoginOptions {
  config?: string;
  name: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  renewApiUrl?: string;
  driveType?: string;
  rootFolderId?: string;
  apiUrl?: string;
  timeout: string;
  pollInterval: string;
}

const DRIVE_TYPES = ['default', 'resource', 'backup'] as const;
type DriveType = (typeof DRIVE_TYPES)[number];

export async function aliyundriveLogin(o: AliyundriveLoginOptions, term = new Prompter()): Promise<number> {
  const file = resolveConfigPath(o.config);
  const old = await previousSettings(file, o.name, 'aliyundrive-open');
  const ownApp = o.clientId !== undefined || o.clientSecret !== undefined;
  const settings: Record<string, unknown> = {
    ...old,
    type: 'aliyundrive-open',
    clientId: o.clientId ?? (o.renewApiUrl ? undefined : old.clientId),
    clientSecret: o.clientSecret ?? (o.renewApiUrl ? undefined : old.clientSecret),
    renewApiUrl: o.renewApiUrl ?? (ownApp ? undefined : old.renewApiUrl),
    apiUrl: o.apiUrl ?? old.apiUrl,
    driveType: o.driveType ?? old.driveType,
    rootFolderId: o.rootFolderId ?? old.rootFolderId,
    refreshToken: 'pending',
  };
  if (o.driveType && !(DRIVE_TYPES as readonly string[]).includes(o.driveType)) {
    throw new ConfigError(`--drive-type must be one of ${DRIVE_TYPES.join(', ')} (got "${o.driveType}")`);
  }
  const timeoutMs = positive(o.timeout, '--timeout') * 1000;
  const http = new HttpClient({ maxRetries: 2 });
  try {
    let grant: { accessToken: string; refreshToken: string };
    if (o.refreshToken !== undefined) {
      grant = await pastedToken(http, o, settings);
    } else {
      if (!settings.clientId || !settings.clientSecret) {
        throw new ConfigError(
          'the QR login needs your own Open Platform app: pass --client-id and --client-secret. ' +
            'Without an app, get a refresh token from your online renew API\'s page and pass it with --refresh-token and --renew-api-url',
        );
      }
      const cfg = parseAliyundriveConfig(o.name, settings); // validates URLs before anything is asked
      grant = await qrLogin(http, { apiUrl: cfg.apiUrl, clientId: cfg.clientId!, clientSecret: cfg.clientSecret! }, timeoutMs, positive(o.pollInterval, '--poll-interval'), term);
    }
    const cfg = parseAliyundriveConfig(o.name, { ...settings, refreshToken: grant.refreshToken });
    const lookup = new AccountLookup(http, cfg.apiUrl, grant.accessToken);
    const account = await lookup.drives();
    const driveType = await chooseDriveType(o, settings, account.drives, term);
    const driveId = account.drives[driveType]!;
    settings.driveType = driveType === 'default' ? undefined : driveType;
    const rootName = cfg.rootFolderId === 'root' ? '/' : await lookup.requireFolder(driveId, cfg.rootFolderId);
    settings.refreshToken = grant.refreshToken;
    const outcome = await saveRemote(file, o.name, settings);
    term.say(
      `${outcome === 'created' ? 'Created' : 'Updated'} remote "${o.name}" in ${file} (mode 0600): ` +
        `${driveType} drive of ${account.name ?? account.userId ?? 'the account'}, folder ${rootName}.`,
    );
    term.say(`Check it:  drivemount about ${o.name}    Mount it:  drivemount mount ${o.name} ~/Aliyundrive`);
    return 0;
  } finally {
    term.close();
    await http.close();
  }
}

/** seed 004's second way: a token from elsewhere, refreshed once here to prove it works (that rotates it). */
async function pastedToken(http: HttpClient, o: AliyundriveLoginOptions, settings: Record<string, unknown>): Promise<{ accessToken: string; refreshToken: string }> {
  const token = o.refreshToken!.trim(); // "-" (stdin) was read before the command ran
  if (!token) throw new ConfigError('--refresh-token is empty');
  if (!settings.clientId && !settings.renewApiUrl) {
    throw new ConfigError('a pasted refresh token is refreshed either by your own app (--client-id and --client-secret) or by an online renew API (--renew-api-url URL)');
  }
  const cfg = parseAliyundriveConfig(o.name, { ...settings, refreshToken: token });
  try {
    const g = await aliyundriveExchange(http, cfg)(token);
    if (!g.refreshToken) throw new LoginRefused('the refresh answer carries no new refresh token');
    return { accessToken: g.accessToken, refreshToken: g.refreshToken };
  } catch (e) {
    if (e instanceof RefreshRefused) throw new LoginRefused(`the refresh token was refused (${e.message}): get a new one and try again`);
    throw e;
  }
}

async function qrLogin(http: HttpClient, app: AliyundriveApp, timeoutMs: number, intervalMs: number, term: Prompter): Promise<{ accessToken: string; refreshToken: string }> {
  const qr = await requestQrCode(http, app);
  term.say('Scan this code with the Aliyundrive (alipan) app and confirm on the phone:\n');
  term.say(await QRCode.toString(qr.pageUrl, { type: 'terminal', small: true }));
  term.say(`The code holds ${qr.pageUrl}`);
  if (qr.imageUrl) term.say(`(a browser shows it as a picture at ${qr.imageUrl})`);
  const signal = AbortSignal.timeout(timeoutMs);
  let code: string;
  try {
    code = await waitForQrLogin(http, app, qr.sid, {
      intervalMs,
      signal,
      onStatus: (s) => {
        if (s === 'ScanSuccess') term.say('Scanned: confirm the login on the phone.');
      },
    });
  } catch (e) {
    if (signal.aborted) throw new LoginRefused(`the code was not confirmed within ${Math.round(timeoutMs / 1000)} s (--timeout)`);
    throw e;
  }
  term.say('Confirmed; fetching the tokens.');
  return exchangeAuthCode(http, app, code);
}

async function chooseDriveType(
  o: AliyundriveLoginOptions,
  settings: Record<string, unknown>,
  drives: Partial<Record<DriveType, string>>,
  term: Prompter,
): Promise<DriveType> {
  const present = DRIVE_TYPES.filter((t) => drives[t]);
  const wanted = (o.driveType ?? settings.driveType) as DriveType | undefined;
  if (wanted) {
    if (!drives[wanted]) throw new ConfigError(`the account has no ${wanted} drive (it has: ${present.join(', ')})`);
    return wanted;
  }
  if (present.length <= 1) return present[0] ?? 'default';
  const labels: Record<DriveType, string> = {
    default: 'default — the drive the app opens first',
    resource: 'resource — the resource library',
    backup: 'backup — the backup drive',
  };
  return term.choose('Which drive should this remote mount?', present.map((t) => ({ label: labels[t], value: t })), { default: 0, flag: '--drive-type' });
}

