// Device sessions of the legacy API. A client derives a device id and a
// secp256k1 key, signs sha256("<app id>:<device id>:<user id>:0") and registers
// the public key with POST /users/v1/users/device/create_session; every other
// legacy call then carries x-device-id and x-signature, which must verify
// against the registered key.
//
// Strict choices (the service's exact rules are not known):
// - the device id must be hex(sha256(user_id)), 64 lowercase hex, as the
//   clients derive it, and the registered pubKey must be the public key of that
//   32-byte value taken as the private key (a client with any other key or id
//   is refused);
// - create_session needs nonce 0, a pubKey of 128 hex (X‖Y, no 04 prefix) that
//   is a curve point, a refreshToken that is a live legacy refresh token, and an
//   x-signature made with that very key;
// - the signature is 65 bytes r‖s‖v: low-S only, v the raw recovery id 0/1;
// - every refusal (bad or missing signature, unknown device, expired session,
//   bad pubKey) is 400 DeviceSessionSignatureInvalid;
// - a session lives deviceSessionTtlSec; registering again replaces it.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { secp256k1 } from '@noble/curves/secp256k1.js';

import type { ApiCall } from './context.js';
import { AliError, invalidParam, missingParam } from './errors.js';

export const CREATE_SESSION_PATH = '/users/v1/users/device/create_session';
/** The app id every client mixes into the signed message. */
export const SECP_APP_ID = '5dde4e1bdf9e4966b387ba58f4b3fdc3';

/** The device id a user's clients derive: hex(sha256(user_id)). */
export function derivedDeviceId(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}

/** The public key (X‖Y hex) of the device id taken as a private key; undefined when it is no valid key. */
function derivedPubKey(deviceId: string): string | undefined {
  try {
    return Buffer.from(secp256k1.getPublicKey(Buffer.from(deviceId, 'hex'), false).subarray(1)).toString('hex');
  } catch {
    return undefined;
  }
}

/** Whether `sigHex` (r‖s‖v) is the device's low-S signature of its message under `pubKeyHex` (X‖Y). */
export function signatureValid(sigHex: string, pubKeyHex: string, deviceId: string, userId: string): boolean {
  if (!/^[0-9a-f]{130}$/.test(sigHex) || !/^[0-9a-f]{128}$/.test(pubKeyHex)) return false;
  const sig = Buffer.from(sigHex, 'hex');
  if (sig[64]! > 1) return false; // the raw recovery id only (not 27/28)
  const digest = createHash('sha256').update(`${SECP_APP_ID}:${deviceId}:${userId}:0`, 'utf8').digest();
  const asNoble = Buffer.concat([sig.subarray(64), sig.subarray(0, 64)]); // noble's recovered form is v‖r‖s
  const pub = Buffer.concat([Buffer.of(4), Buffer.from(pubKeyHex, 'hex')]);
  try {
    // lowS is noble's default; the recovered format makes it check v too.
    return secp256k1.verify(asNoble, digest, pub, { prehash: false, format: 'recovered' });
  } catch {
    return false;
  }
}

function pointValid(pubKeyHex: string): boolean {
  if (!/^[0-9a-f]{128}$/.test(pubKeyHex)) return false;
  try {
    secp256k1.Point.fromBytes(Buffer.concat([Buffer.of(4), Buffer.from(pubKeyHex, 'hex')]));
    return true;
  } catch {
    return false;
  }
}

const header = (req: IncomingMessage, name: string): string => {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

const refused = (): AliError => new AliError(400, 'DeviceSessionSignatureInvalid', 'Device session signature is invalid.');

interface Session {
  pubKey: string;
  expiresAt: number;
  /** The signature already verified (it is the same on every call), so each call costs a compare. */
  verified?: string;
}

export class DeviceSessions {
  /** `${userId}\n${deviceId}` → session */
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly o: {
      ttlSec: () => number;
      refuse: () => boolean;
      isLiveRefreshToken: (t: string) => boolean;
      count: (key: string) => void;
    },
  ) {}

  /** POST create_session, bearer already checked. */
  create(call: ApiCall, req: IncomingMessage, userId: string): unknown {
    const deviceId = header(req, 'x-device-id');
    const b = call.body;
    if (deviceId !== derivedDeviceId(userId)) throw this.refuse();
    for (const k of ['deviceName', 'modelName', 'pubKey', 'refreshToken']) {
      if (b[k] === undefined) throw missingParam(k);
      if (typeof b[k] !== 'string') throw invalidParam(k, 'must be a string');
    }
    if (b.nonce !== 0) throw invalidParam('nonce', 'must be 0');
    const pubKey = b.pubKey as string;
    if (!pointValid(pubKey) || pubKey !== derivedPubKey(deviceId)) throw this.refuse();
    if (!this.o.isLiveRefreshToken(b.refreshToken as string)) throw invalidParam('refresh_token', 'not a live refresh token of this user');
    if (!signatureValid(header(req, 'x-signature'), pubKey, deviceId, userId)) throw this.refuse();
    if (this.o.refuse()) {
      return { result: false, success: false, code: 'TooManyDevices', message: 'too many devices signed in' };
    }
    this.sessions.set(`${userId}\n${deviceId}`, { pubKey, expiresAt: Date.now() + this.o.ttlSec() * 1000 });
    this.o.count('deviceSessionCreated');
    return { result: true, success: true, code: null, message: null };
  }

  /** Every legacy call but user/get and create_session: the device must be registered and sign with its key. */
  check(req: IncomingMessage, userId: string): void {
    const deviceId = header(req, 'x-device-id');
    const s = deviceId === derivedDeviceId(userId) ? this.sessions.get(`${userId}\n${deviceId}`) : undefined;
    if (!s || Date.now() >= s.expiresAt) throw this.refuse();
    const sig = header(req, 'x-signature');
    if (sig !== s.verified) {
      if (!signatureValid(sig, s.pubKey, deviceId, userId)) throw this.refuse();
      s.verified = sig;
    }
  }

  /** Admin: forget every session (the service signed all devices out). */
  drop(): void {
    this.sessions.clear();
  }

  private refuse(): AliError {
    this.o.count('deviceSessionRefused');
    return refused();
  }
}
