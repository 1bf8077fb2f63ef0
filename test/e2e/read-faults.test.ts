import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ensureRandomFile } from '../../src/cli/demo-content.js';
import { startDrive, mount, sh, MiB, SERVICES, type DriveFixture, type Service, type MountFixture } from '../helpers/harness.js';
import { counted } from '../helpers/call-counters.js';

const fixtures: { d?: DriveFixture; m?: MountFixture }[] = [];
after(async () => {
  for (const f of fixtures) {
    await f.m?.unmount();
    await f.d?.close();
  }
});

async function setup(service: Service, size: number, emulatorArgs: string[], mountArgs: string[] = []) {
  const f: { d?: DriveFixture; m?: MountFixture } = {};
  fixtures.push(f);
  f.d = await startDrive({ service, emulatorArgs, seed: (root) => ensureRandomFile(path.join(root, 'data.bin'), size) });
  f.m = await mount(f.d, ['--read-only', ...mountArgs]);
  return { d: f.d, m: f.m, src: path.join(f.d.root, 'data.bin') };
}

for (const service of SERVICES) describe(service, () => {
  test('a download link expiring in the middle of a slow read still gives identical bytes', async () => {
    // 1 s links, 2 MB/s per connection, a 4 MiB read-ahead window (1 MiB requests): reading
    // 32 MiB takes several link lifetimes, so many range requests start with an expired link.
    const { d, m, src } = await setup(service, 32 * MiB, ['--link-ttl', '1', '--bandwidth', String(2_000_000)], ['--max-read-ahead', '4']);
    const r = await sh(`cmp ${m.mnt}/data.bin ${src}`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = await d.stats();
    if (service === 'onedrive') {
      // Graph does not say when a link dies: the storage host's refusal is what renews it.
      assert.ok((s.expiredLink ?? 0) > 0, `the link never expired during the read: ${JSON.stringify(s)}`);
    } else {
      // Aliyundrive announces each link's expiration: links are renewed before they die.
      assert.ok(counted(service, s, 'getDownloadUrl') > 2, `links were not renewed during the read: ${JSON.stringify(s)}`);
    }
  });

  test('a 429 storm and connections cut mid-body still give identical bytes', async () => {
    const { d, m, src } = await setup(service, 64 * MiB, ['--throttle-every', '2', '--retry-after', '1', '--cut-every', '3']);
    const r = await sh(`cmp ${m.mnt}/data.bin ${src}`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = await d.stats();
    assert.ok((s.cut ?? 0) > 0, `no download was cut: ${JSON.stringify(s)}`);
    // A listing under throttling: the 429s are waited out, not returned as errors.
    const ls = await sh(`ls -l ${m.mnt}`);
    assert.equal(ls.code, 0, ls.stderr);
    assert.ok((await d.stats()).throttled! > 0, 'no call was throttled');
  });
});
