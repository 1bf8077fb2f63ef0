/**
 * How a driver keeps its credential (whatever shape: a rotating refresh token, a cookie jar with
 * an expiry, a device key and session…) in its remote's config entry. The driver declares the
 * keys it occupies; they are secret, so config show/list and the log mask them.
 */
export interface CredentialCodec<C> {
  /** Config-entry keys holding the credential (all of them secret). */
  readonly keys: readonly string[];
  /** The credential in a remote entry, or undefined when none is stored yet. */
  read(entry: Readonly<Record<string, unknown>>): C | undefined;
  /** The entry values for `keys`; a key left undefined is removed from the entry. */
  write(credential: C): Record<string, unknown>;
}

/** The credential of OAuth services with single-use (rotating) refresh tokens. */
export interface RefreshTokenCredential {
  refreshToken: string;
}

/** Kept under `refreshToken`, as every existing config file has it. */
export const refreshTokenCodec: CredentialCodec<RefreshTokenCredential> = {
  keys: ['refreshToken'],
  read(entry) {
    const t = entry.refreshToken;
    return typeof t === 'string' && t !== '' ? { refreshToken: t } : undefined;
  },
  write(c) {
    return { refreshToken: c.refreshToken };
  },
};
