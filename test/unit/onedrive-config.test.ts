import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOneDriveConfig } from '../../src/drives/onedrive/config.js';
import { itemPath, toRemoteEntry } from '../../src/drives/onedrive/drive-items.js';

const base = { type: 'onedrive', refreshToken: 'r', clientId: 'c' };

test('regions choose the national cloud hosts; authUrl/graphUrl override them', () => {
  assert.equal(parseOneDriveConfig('x', base).graphUrl, 'https://graph.microsoft.com');
  const cn = parseOneDriveConfig('x', { ...base, region: 'cn' });
  assert.equal(cn.authUrl, 'https://login.chinacloudapi.cn');
  assert.equal(cn.graphUrl, 'https://microsoftgraph.chinacloudapi.cn');
  assert.equal(parseOneDriveConfig('x', { ...base, region: 'us' }).graphUrl, 'https://graph.microsoft.us');
  const o = parseOneDriveConfig('x', { ...base, region: 'cn', graphUrl: 'http://127.0.0.1:9/', authUrl: 'http://127.0.0.1:8' });
  assert.equal(o.graphUrl, 'http://127.0.0.1:9');
  assert.equal(o.authUrl, 'http://127.0.0.1:8');
  assert.equal(parseOneDriveConfig('x', base).tenant, 'common');
});

test('invalid settings are refused with the key named', () => {
  assert.throws(() => parseOneDriveConfig('x', { ...base, driveId: 'a', siteId: 'b' }), /either "driveId" or "siteId"/);
  assert.throws(() => parseOneDriveConfig('x', { ...base, rootPath: 'relative' }), /"rootPath" must start with "\/"/);
  assert.throws(() => parseOneDriveConfig('x', { ...base, refreshTokne: 'typo' }), /unknown setting "refreshTokne"/);
  assert.throws(() => parseOneDriveConfig('x', { ...base, authUrl: 'ftp://x' }), /"authUrl" must be an http\(s\) URL/);
});

test('path addressing percent-encodes every segment', () => {
  assert.equal(itemPath('/'), '/root');
  assert.equal(itemPath('/a b/c#1%/d?.txt'), '/root:/a%20b/c%231%25/d%3F.txt:');
});

test('driveItems map to entries with the client-set modification time', () => {
  const e = toRemoteEntry({
    id: '1', name: 'f', size: 5, lastModifiedDateTime: '2024-01-01T00:00:00Z',
    fileSystemInfo: { lastModifiedDateTime: '2020-02-02T02:02:02Z', createdDateTime: '2019-01-01T00:00:00Z' },
    file: { hashes: { quickXorHash: 'abc=' } }, '@microsoft.graph.downloadUrl': 'http://x/dl',
  }, 1000);
  assert.equal(e.mtimeMs, Date.parse('2020-02-02T02:02:02Z'));
  assert.equal(e.birthtimeMs, Date.parse('2019-01-01T00:00:00Z'));
  assert.equal(e.isDir, false);
  assert.equal(e.hashes?.quickXor, 'abc=');
  assert.equal(e.link?.url, 'http://x/dl');
  assert.ok(toRemoteEntry({ id: '2', name: 'd', folder: { childCount: 0 } }).isDir);
});
