import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { startOneDriveEmulator } from '../../src/emulators/onedrive/server.js';
import { OneDriveDrive } from '../../src/drives/onedrive/onedrive-drive.js';
import { parseOneDriveConfig } from '../../src/drives/onedrive/config.js';
import { verifyHash } from '../../src/drives/onedrive/upload-session.js';
import { memoryRefreshTokenStore } from '../../src/config/credential-store.js';
import { QuickXorHash } from '../../src/hash/quickxorhash.js';
import { HttpClient } from '../../src/http/client.js';
import { DriveError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/log.js';
import type { UploadSource } from '../../src/drives/types.js';

const FRAGMENT = 320 * 1024;

function source(data: Buffer, delayMsAfterFirst = 0): UploadSource {
  let calls = 0;
  return {
    size: data.length,
    async read(offset, length) {
      if (calls++ === 1 && delayMsAfterFirst) await new Promise((r) => setTimeout(r, delayMsAfterFirst));
      return Buffer.from(data.subarray(offset, offset + length));
    },
  };
}

test('an upload session that expires between fragments is started again, and the file is committed whole', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dm-up-'));
  const emu = await startOneDriveEmulator({ root, faults: { uploadSessionTtlSec: 1 } });
  const http = new HttpClient();
  try {
    const cfg = parseOneDriveConfig('t', { type: 'onedrive', refreshToken: emu.refreshToken, clientId: emu.clientId, clientSecret: emu.clientSecret, authUrl: emu.url, graphUrl: emu.url });
    const drive = new OneDriveDrive('t', cfg, { http, store: memoryRefreshTokenStore(emu.refreshToken), log: silentLogger }, { chunkSize: FRAGMENT });
    const data = randomBytes(FRAGMENT * 16 + 1234); // > 4 MiB: goes through a session
    // The second fragment is read 1.5 s after the first: the 1 s session has expired by then.
    const entry = await drive.writer.upload('/slow.bin', source(data, 1500), {});
    assert.equal(entry.size, data.length);
    assert.ok((await fs.readFile(path.join(root, 'slow.bin'))).equals(data));
    assert.ok(emu.stats().uploadSession >= 2, `sessions: ${emu.stats().uploadSession}`);
  } finally {
    await http.close();
    await emu.close();
    await fs.rm(root, { recursive: true, force: true });
  }
});

test('a committed file whose QuickXorHash differs from the bytes sent is an error', () => {
  const h = new QuickXorHash();
  h.update(Buffer.from('what we sent'));
  const other = new QuickXorHash();
  other.update(Buffer.from('what the service stored'));
  assert.throws(
    () => verifyHash({ id: '1', name: 'f', file: { hashes: { quickXorHash: other.digestBase64() } } }, h, '/f'),
    (e: unknown) => e instanceof DriveError && e.code === 'EIO' && /checksum/.test(e.message),
  );
  const same = new QuickXorHash();
  same.update(Buffer.from('what we sent'));
  verifyHash({ id: '1', name: 'f', file: { hashes: { quickXorHash: same.digestBase64() } } }, h, '/f');
});
