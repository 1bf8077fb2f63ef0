import { findDriver, secretSettingKeys } from '../drives/registry.js';

/** Credential-looking keys masked whatever the driver says (hand-edited files may carry them). */
const ALWAYS_SECRET = ['accessToken', 'password'];

/**
 * Whether a setting holds a credential: never printed, only its presence and length. A known
 * type's descriptor decides (its secret settings and credential keys); for an unknown type every
 * key secret in any driver is masked.
 */
export function isSecretSetting(key: string, type?: unknown): boolean {
  if (ALWAYS_SECRET.includes(key)) return true;
  const d = findDriver(type);
  if (!d) return secretSettingKeys().includes(key);
  return d.credential.keys.includes(key) || d.settings.some((s) => s.key === key && s.secret === true);
}

export function maskSecret(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '(empty)';
  return `(hidden, ${value.length} characters)`;
}

/** A copy of a remote's settings that is safe to print. */
export function maskedRemote(remote: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(remote)) out[k] = isSecretSetting(k, remote.type) ? maskSecret(v) : v;
  return out;
}
