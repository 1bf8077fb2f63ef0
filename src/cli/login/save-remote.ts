import { editConfig, readConfigOrEmpty } from '../../config/config-file.js';
import { ConfigError } from '../../util/errors.js';

/**
 * The settings a login starts from: those of the remote it logs in again (same type), or none.
 * Logging in again keeps the app, region and drive choice unless flags change them.
 */
export async function previousSettings(file: string, name: string, type: string): Promise<Record<string, unknown>> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new ConfigError(`"${name}" cannot name a remote: use letters, digits, ".", "_" and "-" (no ":" or "/")`);
  }
  const cfg = await readConfigOrEmpty(file);
  const old = Object.hasOwn(cfg.remotes, name) ? cfg.remotes[name] : undefined;
  if (!old) return {};
  if (old.type !== type) {
    throw new ConfigError(`remote "${name}" already exists with type "${String(old.type)}"; pick another --name or remove it (drivemount config remove ${name})`);
  }
  return { ...old };
}

/** Store the remote (atomically, mode 0600, under the cross-process lock). Empty values are dropped. */
export async function saveRemote(file: string, name: string, settings: Record<string, unknown>): Promise<'created' | 'updated'> {
  const clean = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined && v !== ''));
  return editConfig(file, (cfg) => {
    const existed = Object.hasOwn(cfg.remotes, name);
    cfg.remotes[name] = clean;
    return existed ? 'updated' : 'created';
  });
}
