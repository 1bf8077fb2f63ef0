// The state of QR logins, one per sid, as the status poll reports it:
//
//   WaitLogin ──phone opens the page──▶ ScanSuccess ──confirm──▶ LoginSuccess (+ authCode)
//                                                   └─cancel───▶ LoginFailed
//
// A login still WaitLogin / ScanSuccess once older than qrCodeTtlSec answers
// QRCodeExpired (the TTL is read at each look, so a test can shorten it).
// LoginSuccess repeats the same authCode until the code is exchanged or
// expires; after that, and for unknown or revoked sids, the answer is
// QRCodeExpired (the service has nothing left to say about that sid).

import { randomBytes } from 'node:crypto';

import type { AuthState } from './auth.js';

export type QrPhase = 'WaitLogin' | 'ScanSuccess' | 'LoginSuccess' | 'LoginFailed';
export type QrStatus = QrPhase | 'QRCodeExpired';

interface Session {
  createdAt: number;
  phase: QrPhase;
  scopes: readonly string[];
  authCode?: string;
}

/** Past this many sessions, old ones are dropped when a new one is made (bounds memory). */
const MAX_SESSIONS = 1000;
const FORGET_AFTER_MS = 3600_000;

export class QrSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly auth: AuthState,
    private readonly ttlSec: () => number,
  ) {
    // Revoking the app also voids logins under way.
    auth.onRevoke(() => this.sessions.clear());
  }

  /** A new login waiting for its scan; returns its sid (40 hex digits). */
  create(scopes: readonly string[]): string {
    if (this.sessions.size >= MAX_SESSIONS) {
      const cutoff = Date.now() - FORGET_AFTER_MS;
      for (const [sid, s] of this.sessions) if (s.createdAt < cutoff) this.sessions.delete(sid);
    }
    const sid = randomBytes(20).toString('hex');
    this.sessions.set(sid, { createdAt: Date.now(), phase: 'WaitLogin', scopes: [...scopes] });
    return sid;
  }

  /** What the status poll answers. */
  status(sid: string): { status: QrStatus; authCode?: string } {
    const s = this.live(sid);
    if (!s) return { status: 'QRCodeExpired' };
    return s.phase === 'LoginSuccess' ? { status: s.phase, authCode: s.authCode } : { status: s.phase };
  }

  /** The scopes the phone page shows, or null when the page must refuse (see scan()). */
  scopesOf(sid: string): readonly string[] | null {
    return this.live(sid)?.scopes ?? null;
  }

  /** The phone opened the page. Returns null, or why the page refuses. */
  scan(sid: string): string | null {
    const s = this.live(sid);
    if (!s) return EXPIRED;
    if (s.phase === 'LoginSuccess' || s.phase === 'LoginFailed') return USED;
    s.phase = 'ScanSuccess';
    return null;
  }

  /** The user pressed confirm (true) or cancel (false). Returns null, or why it is refused. */
  decide(sid: string, confirm: boolean): string | null {
    const s = this.live(sid);
    if (!s) return EXPIRED;
    if (s.phase === 'WaitLogin') return 'Scan the QR code first.';
    if (s.phase !== 'ScanSuccess') return USED;
    s.phase = confirm ? 'LoginSuccess' : 'LoginFailed';
    if (confirm) s.authCode = this.auth.issueAuthorizationCode();
    return null;
  }

  /** The session if it still has a state other than QRCodeExpired; forgets it otherwise. */
  private live(sid: string): Session | undefined {
    const s = this.sessions.get(sid);
    if (!s) return undefined;
    const pending = s.phase === 'WaitLogin' || s.phase === 'ScanSuccess';
    const stale = pending
      ? Date.now() - s.createdAt >= this.ttlSec() * 1000
      : s.phase === 'LoginSuccess' && !this.auth.codeIsLive(s.authCode!);
    if (stale) this.sessions.delete(sid);
    return stale ? undefined : s;
  }
}

const EXPIRED = 'This QR code has expired. Ask for a new one on your computer.';
const USED = 'This QR code has already been used.';
