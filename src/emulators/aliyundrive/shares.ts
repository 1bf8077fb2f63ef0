// Share links of another user's drive (the "sharer"), as the share API sees them:
// shares (id, root folder, password, live / cancelled / expired) and the share
// tokens get_share_token hands out. No module state: one registry per emulator.
//
// Strict choices where the service's behaviour is not known (listed in README.md):
// - a share id is 22 base62 characters, stable for a folder of a backing root;
// - a password, when the share has one, must match exactly (no trimming, no case folding);
// - a token names one share; it dies at its expiry, when its share is cancelled or
//   expired, and on /_emulator/share-tokens/revoke → 401 ShareLinkTokenInvalid;
// - an item belongs to a share only when the share's root folder is among its ancestors.

import { createHash, randomBytes } from 'node:crypto';

import { AliError } from './errors.js';
import type { AliDrive, Item } from './store.js';

export type ShareState = 'live' | 'cancelled' | 'expired';
export type ShareDownloads = 'refused' | 'throttled' | 'working';

export interface Share {
  id: string;
  /** file_id of the shared folder in the sharer's drive ("root" = the whole drive). */
  rootId: string;
  password?: string;
  state: ShareState;
}

export interface ShareSettings {
  /** Lifetime of a share token (s). */
  shareTokenTtlSec: number;
  /**
   * 'refused': the download-link call answers the persistent throttling the service answers today
   * (429 ParamFlowException); 'throttled': a plain 429 TooManyRequests, every time.
   */
  shareDownloads: ShareDownloads;
}

export const DEFAULT_SHARE_SETTINGS: ShareSettings = { shareTokenTtlSec: 7200, shareDownloads: 'refused' };

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += BASE62[bytes[i % bytes.length]! % 62];
  return out;
}

export class ShareRegistry {
  readonly settings: ShareSettings;
  private readonly shares = new Map<string, Share>();
  /** share token → its share and expiry (ms) */
  private readonly tokens = new Map<string, { shareId: string; expiresAt: number }>();

  constructor(
    /** The sharer's drive: another user's, never among the caller's own drives. */
    readonly drive: AliDrive,
    settings: Partial<ShareSettings> = {},
  ) {
    this.settings = { ...DEFAULT_SHARE_SETTINGS, ...settings };
  }

  update(patch: Partial<ShareSettings>): void {
    if (patch.shareTokenTtlSec !== undefined) {
      if (!Number.isInteger(patch.shareTokenTtlSec) || patch.shareTokenTtlSec < 1) throw new Error('shareTokenTtlSec must be a whole number ≥ 1');
      this.settings.shareTokenTtlSec = patch.shareTokenTtlSec;
    }
    if (patch.shareDownloads !== undefined) {
      if (!['refused', 'throttled', 'working'].includes(patch.shareDownloads)) throw new Error("shareDownloads must be 'refused', 'throttled' or 'working'");
      this.settings.shareDownloads = patch.shareDownloads;
    }
  }

  /** Shares a folder; the same folder gets the same id (a second call replaces its password and revives it). */
  create(rootId: string, password?: string): Share {
    const id = base62(createHash('sha256').update(`share:${this.drive.root}:${rootId}`).digest(), 22);
    const share: Share = { id, rootId, password: password || undefined, state: 'live' };
    this.shares.set(id, share);
    return share;
  }

  get(id: string): Share | undefined {
    return this.shares.get(id);
  }

  setState(id: string, state: ShareState): boolean {
    const s = this.shares.get(id);
    if (!s) return false;
    s.state = state;
    return true;
  }

  /** Every share token stops working (the service's tokens are opaque; it may drop them any time). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** get_share_token: a token for a live share whose password matches. */
  issueToken(shareId: string, password: string | undefined): { share_token: string; expires_in: number; expire_time: string } {
    const share = this.usable(shareId);
    if (share.password !== undefined && password !== share.password) {
      throw new AliError(400, 'InvalidResource.SharePwd', 'The resource share_pwd is not valid.');
    }
    const ttl = this.settings.shareTokenTtlSec;
    const expiresAt = Date.now() + ttl * 1000;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { shareId, expiresAt });
    return { share_token: token, expires_in: ttl, expire_time: new Date(expiresAt).toISOString() };
  }

  /** The share an `x-share-token` header opens, or the refusal. */
  checkToken(header: string | string[] | undefined): Share {
    const token = Array.isArray(header) ? header[0] : header;
    const t = token ? this.tokens.get(token) : undefined;
    if (!t || Date.now() >= t.expiresAt) {
      if (t) this.tokens.delete(token!);
      throw new AliError(401, 'ShareLinkTokenInvalid', 'ShareLinkToken is invalid. expired');
    }
    const share = this.shares.get(t.shareId);
    if (!share || share.state !== 'live') {
      this.tokens.delete(token!);
      throw new AliError(401, 'ShareLinkTokenInvalid', 'ShareLinkToken is invalid. share is no longer available');
    }
    return share;
  }

  /** A live share by id, or the code the service answers for it. */
  private usable(shareId: string): Share {
    const share = this.shares.get(shareId);
    if (!share) throw new AliError(404, 'NotFound.ShareLink', 'The resource share_link cannot be found.');
    if (share.state === 'cancelled') throw new AliError(400, 'ShareLink.Cancelled', 'The share link has been cancelled.');
    if (share.state === 'expired') throw new AliError(400, 'ShareLink.Expired', 'The share link has expired.');
    return share;
  }

  /** The share's root folder, or null when it was removed from the sharer's drive. */
  async rootOf(share: Share): Promise<Item | null> {
    const it = await this.drive.resolveId(share.rootId);
    return it && it.kind === 'folder' ? it : null;
  }

  /** A live item of the share ("root" = the share's root); anything outside it is "not found". */
  async itemIn(share: Share, fileId: string): Promise<Item | null> {
    const root = await this.rootOf(share);
    if (!root) return null;
    if (fileId === 'root' || fileId === root.id) return root;
    const it = await this.drive.resolveId(fileId);
    if (!it) return null;
    if (root.isRoot) return it;
    // Ancestors by path: the item's folder chain lies inside the shared folder's.
    return it.rel.startsWith(`${root.rel}/`) ? it : null;
  }
}
