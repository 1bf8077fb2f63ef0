import { createHash } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';

/** The app id the service mixes into the signed message (the same for every client). */
export const SECP_APP_ID = '5dde4e1bdf9e4966b387ba58f4b3fdc3';

/** What a device session is made of: derived again from the user id at every mount, never stored. */
export interface DeviceKey {
  /** hex(sha256(userId)): the `x-device-id` header, and (as 32 bytes) the private key. */
  deviceId: string;
  /** hex(X‖Y) of the uncompressed public key, 128 characters, without the `04` prefix. */
  pubKey: string;
  /** hex(r‖s‖v), 130 characters: low-S, v the raw recovery id (0/1). The `x-signature` header. */
  signature: string;
}

/** The message a device signs; the trailing 0 is the nonce sent as `nonce: 0` at create_session. */
export function signedMessage(deviceId: string, userId: string): string {
  return `${SECP_APP_ID}:${deviceId}:${userId}:0`;
}

/**
 * The device id, key and signature of a user. The signature depends only on these, so one
 * serves the whole session. noble signs deterministically (RFC 6979) and low-S by default.
 */
export function deviceKey(userId: string): DeviceKey {
  const deviceId = createHash('sha256').update(userId, 'utf8').digest('hex');
  const secret = Buffer.from(deviceId, 'hex');
  if (!secp256k1.utils.isValidSecretKey(secret)) {
    // sha256 ≥ the curve order: odds about 2^-128, so say so rather than quietly reduce it.
    throw new Error(`the device key derived from user ${userId} is outside the secp256k1 range`);
  }
  const pubKey = Buffer.from(secp256k1.getPublicKey(secret, false).subarray(1)).toString('hex');
  const digest = createHash('sha256').update(signedMessage(deviceId, userId), 'utf8').digest();
  // The digest is what is signed (no second hash); noble's recovered form is v‖r‖s, the wire's r‖s‖v.
  const rec = secp256k1.sign(digest, secret, { prehash: false, format: 'recovered' });
  const signature = Buffer.concat([rec.subarray(1), rec.subarray(0, 1)]).toString('hex');
  return { deviceId, pubKey, signature };
}
