/** Settings whose values are credentials: never printed, only their presence and length. */
export const SECRET_SETTINGS = ['refreshToken', 'clientSecret', 'accessToken', 'password'] as const;

export function isSecretSetting(key: string): boolean {
  return (SECRET_SETTINGS as readonly string[]).includes(key);
}

export function maskSecret(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '(empty)';
  return `(hidden, ${value.length} characters)`;
}

/** A copy of a remote's settings that is safe to print. */
export function maskedRemote(remote: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(remote)) out[k] = isSecretSetting(k) ? maskSecret(v) : v;
  return out;
}
