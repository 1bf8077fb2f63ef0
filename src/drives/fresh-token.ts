/** What withFreshToken needs of a token source: the current token, and a way to drop a dead one. */
export interface AccessTokens {
  get(): Promise<string>;
  invalidate(token: string): void;
}

/**
 * Run `call` with an access token; when the service rejects that token (revoked, clock skew),
 * drop it, fetch a fresh one and replay the call exactly once. Any other error, or a second
 * rejection, is thrown as is: a service that keeps refusing fresh tokens must not loop forever.
 */
export async function withFreshToken<T>(
  tokens: AccessTokens,
  isTokenRejected: (e: unknown) => boolean,
  call: (token: string) => Promise<T>,
): Promise<T> {
  const token = await tokens.get();
  try {
    return await call(token);
  } catch (e) {
    if (!isTokenRejected(e)) throw e;
    tokens.invalidate(token);
  }
  return call(await tokens.get());
}
