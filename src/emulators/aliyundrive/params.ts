// Reading request-body fields the way the service validates them: a missing
// required field is InvalidParameterMissing, a wrong type or value is
// InvalidParameter.<Field>, an unknown drive_id is ForbiddenDriveNotValid.

import type { ApiCall } from './context.js';
import { AliError, invalidParam, missingParam } from './errors.js';
import type { AliDrive } from './store.js';

export function optString(call: ApiCall, name: string): string | undefined {
  const v = call.body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParam(name);
  return v;
}

export function reqString(call: ApiCall, name: string): string {
  const v = optString(call, name);
  if (v === undefined || v === '') throw missingParam(name);
  return v;
}

export function optInt(call: ApiCall, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = call.body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalidParam(name);
  return v;
}

export function optBool(call: ApiCall, name: string): boolean | undefined {
  const v = call.body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidParam(name);
  return v;
}

/** The drive named by `drive_id` (or another field holding a drive id). */
export function driveOf(call: ApiCall, field = 'drive_id'): AliDrive {
  const id = reqString(call, field);
  const d = call.ctx.drivesById.get(id);
  if (!d) throw new AliError(403, 'ForbiddenDriveNotValid', `The drive ${id} is not valid for this user.`);
  return d;
}

export type CheckNameMode = 'ignore' | 'auto_rename' | 'refuse';

export function checkNameMode(call: ApiCall, fallback: CheckNameMode): CheckNameMode {
  const v = optString(call, 'check_name_mode');
  if (v === undefined || v === '') return fallback;
  if (v === 'ignore' || v === 'auto_rename' || v === 'refuse') return v;
  throw invalidParam('check_name_mode', `'${v}' (ignore, auto_rename or refuse)`);
}

/** Names the service refuses (and a few the backing folder cannot hold). */
export function checkName(name: string, field = 'name'): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw invalidParam(field, `'${name}' is not a valid file name`);
  }
  if (Buffer.byteLength(name) > 1024) throw invalidParam(field, 'the name is longer than 1024 bytes');
}
