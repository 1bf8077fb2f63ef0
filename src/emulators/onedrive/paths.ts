// Parses Graph drive URLs (the part after /v1.0) into drive, item and action:
//
//   /me/drive | /drives/{driveId} | /sites/{siteId}/drive          the drive
//   {drive}/root | {drive}/items/{id}                               an item
//   {drive}/root:/a/b:  {drive}/items/{id}:/a/b:                    by path (trailing ':' optional)
//   {item}/children  {item}/content  {item}/createUploadSession  {item}/copy  {item}/delta
//
// Works on the raw (still percent-encoded) path: the ':' delimiters must be
// found before decoding, and each segment is decoded on its own.

import { badSegment, invalidRequest } from './errors.js';

export type BaseRef = { kind: 'me' } | { kind: 'drives'; driveId: string } | { kind: 'sites'; siteId: string };

export type ItemRef =
  | { kind: 'root'; path: string[] }
  | { kind: 'id'; id: string; path: string[] };

export const ACTIONS = ['', 'children', 'content', 'createUploadSession', 'copy', 'delta'] as const;
export type Action = (typeof ACTIONS)[number];

export interface GraphTarget {
  base: BaseRef;
  /** null when the drive itself is addressed */
  item: ItemRef | null;
  action: Action;
  /** the item was addressed with the ':/path:' syntax */
  byPath: boolean;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest(`Invalid percent-encoding in '${segment}'.`);
  }
}

const splitPath = (raw: string): string[] => raw.split('/').filter((s) => s !== '').map(decode);

/** `rawPath` starts with '/v1.0/'. */
export function parseGraphPath(rawPath: string): GraphTarget {
  const rest0 = rawPath.slice('/v1.0'.length);
  let base: BaseRef;
  let rest: string;
  let m: RegExpExecArray | null;
  if ((m = /^\/me\/drive(?=\/|$)/i.exec(rest0))) {
    base = { kind: 'me' };
    rest = rest0.slice(m[0].length);
  } else if ((m = /^\/drives\/([^/:]+)(?=\/|$)/i.exec(rest0))) {
    base = { kind: 'drives', driveId: decode(m[1]) };
    rest = rest0.slice(m[0].length);
  } else if ((m = /^\/sites\/([^/:]+)\/drive(?=\/|$)/i.exec(rest0))) {
    base = { kind: 'sites', siteId: decode(m[1]) };
    rest = rest0.slice(m[0].length);
  } else {
    const seg = rest0.split('/').filter((s) => s !== '')[0] ?? '';
    throw badSegment(decode(seg));
  }

  if (rest === '' || rest === '/') return { base, item: null, action: '', byPath: false };

  let tail: string;
  let item: ItemRef;
  if ((m = /^\/root(?=[/:]|$)/i.exec(rest))) {
    item = { kind: 'root', path: [] };
    tail = rest.slice(m[0].length);
  } else if ((m = /^\/items\/([^/:]+)/i.exec(rest))) {
    item = { kind: 'id', id: decode(m[1]), path: [] };
    tail = rest.slice(m[0].length);
  } else {
    throw badSegment(decode(rest.split('/')[1] ?? ''));
  }

  let byPath = false;
  if (tail.startsWith(':')) {
    byPath = true;
    const close = tail.indexOf(':', 1);
    const rawPath2 = close < 0 ? tail.slice(1) : tail.slice(1, close);
    item.path = splitPath(rawPath2);
    tail = close < 0 ? '' : tail.slice(close + 1);
  }

  const action = tail.replace(/^\/+|\/+$/g, '');
  const known = ACTIONS.find((a) => a.toLowerCase() === action.toLowerCase());
  if (known === undefined) throw badSegment(decode(action.split('/')[0]));
  return { base, item, action: known, byPath };
}
