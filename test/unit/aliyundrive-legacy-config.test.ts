// The legacy driver's config contract: defaults, and the removal it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLegacyConfig } from '../../src/drives/aliyundrive/legacy/config.js';
import { ConfigError } from '../../src/util/errors.js';

test('defaults: the alipan hosts, the default drive, its root, trash, no rapid upload', () => {
  const c = parseLegacyConfig('a', { type: 'aliyundrive', refreshToken: 'r' });
  assert.deepEqual(c, {
    type: 'aliyundrive', refreshToken: 'r', authUrl: 'https://auth.alipan.com', apiUrl: 'https://api.alipan.com',
    driveType: 'default', rootFolderId: 'root', removeWay: 'trash', rapidUpload: false,
  });
  assert.equal(parseLegacyConfig('a', { type: 'aliyundrive', refreshToken: 'r', removeWay: 'trash' }).removeWay, 'trash');
});

test('removeWay "delete" is a config error that says to use trash (no delete call is known for this API)', () => {
  assert.throws(
    () => parseLegacyConfig('a', { type: 'aliyundrive', refreshToken: 'r', removeWay: 'delete' }),
    (e: unknown) => e instanceof ConfigError && /remote "a": "removeWay" "delete" is not available with the legacy API.*use "trash"/.test(e.message),
  );
  assert.throws(() => parseLegacyConfig('a', { type: 'aliyundrive', refreshToken: 'r', removeWay: 'shred' }), /"removeWay" is "shred" — must be one of trash/);
});
