import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { deviceKey, signedMessage, SECP_APP_ID } from '../../src/drives/aliyundrive/legacy/device-key.js';

const N = secp256k1.Point.CURVE().n;
const USER = '6e1c8f0b2a3d4e5f60718293a4b5c6d7';

test('the device id is hex(sha256(user id)) and the public key hex(X‖Y) of that secret, without the 04 prefix', () => {
  const k = deviceKey(USER);
  assert.equal(k.deviceId, createHash('sha256').update(USER, 'utf8').digest('hex'));
  assert.match(k.deviceId, /^[0-9a-f]{64}$/);
  assert.match(k.pubKey, /^[0-9a-f]{128}$/);
  const full = secp256k1.getPublicKey(Buffer.from(k.deviceId, 'hex'), false);
  assert.equal(full[0], 4);
  assert.equal(Buffer.from(full.subarray(1)).toString('hex'), k.pubKey);
  // Derived, not random: the same user always gets the same device.
  assert.deepEqual(deviceKey(USER), k);
  assert.notEqual(deviceKey(USER + 'x').deviceId, k.deviceId);
});

test('the signed message is the app id, the device id, the user id and the nonce 0', () => {
  assert.equal(signedMessage('d', 'u'), `${SECP_APP_ID}:d:u:0`);
});

test('the signature is r‖s‖v: 65 bytes, low-S, v the raw recovery id (0 or 1), and it recovers the device key', () => {
  for (const user of [USER, 'another-user', '1', 'ünïcödé']) {
    const k = deviceKey(user);
    assert.match(k.signature, /^[0-9a-f]{130}$/);
    const sig = Buffer.from(k.signature, 'hex');
    const r = BigInt('0x' + sig.subarray(0, 32).toString('hex'));
    const s = BigInt('0x' + sig.subarray(32, 64).toString('hex'));
    const v = sig[64]!;
    assert.ok(v === 0 || v === 1, `v is ${v}, not a raw recovery id`);
    assert.ok(r > 0n && r < N);
    assert.ok(s > 0n && s <= N / 2n, 'high-S signature');
    const digest = createHash('sha256').update(signedMessage(k.deviceId, user), 'utf8').digest();
    const pub = Buffer.concat([Buffer.of(4), Buffer.from(k.pubKey, 'hex')]);
    // noble's recovered form puts v first; the wire puts it last.
    const asNoble = Buffer.concat([sig.subarray(64), sig.subarray(0, 64)]);
    assert.equal(secp256k1.verify(asNoble, digest, pub, { prehash: false, format: 'recovered' }), true);
    const recovered = secp256k1.Signature.fromBytes(asNoble, 'recovered').recoverPublicKey(digest);
    assert.equal(Buffer.from(recovered.toBytes(false)).toString('hex'), pub.toString('hex'));
    // v flipped recovers another key: the byte is not decoration.
    const flipped = Buffer.concat([Buffer.of(v ^ 1), sig.subarray(0, 64)]);
    assert.equal(secp256k1.verify(flipped, digest, pub, { prehash: false, format: 'recovered' }), false);
  }
});

test("Node's own ECDSA agrees that r‖s signs sha256(message) with the device key (an independent check)", () => {
  const k = deviceKey(USER);
  const pub = Buffer.from(k.pubKey, 'hex');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'secp256k1', x: pub.subarray(0, 32).toString('base64url'), y: pub.subarray(32).toString('base64url') },
    format: 'jwk',
  });
  const sig = Buffer.from(k.signature, 'hex');
  // Node hashes the message itself: sha256(message) is what noble signed as a digest.
  assert.equal(verify('sha256', Buffer.from(signedMessage(k.deviceId, USER), 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, sig.subarray(0, 64)), true);
  assert.equal(verify('sha256', Buffer.from(signedMessage(k.deviceId, USER + 'x'), 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, sig.subarray(0, 64)), false);
});

test('a high-S twin of the signature is refused by a low-S verifier', () => {
  const k = deviceKey(USER);
  const sig = Buffer.from(k.signature, 'hex');
  const s = BigInt('0x' + sig.subarray(32, 64).toString('hex'));
  const high = Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex');
  const twin = Buffer.concat([Buffer.of(sig[64]! ^ 1), sig.subarray(0, 32), high]);
  const digest = createHash('sha256').update(signedMessage(k.deviceId, USER), 'utf8').digest();
  const pub = Buffer.concat([Buffer.of(4), Buffer.from(k.pubKey, 'hex')]);
  assert.equal(secp256k1.verify(twin, digest, pub, { prehash: false, format: 'recovered' }), false);
});
