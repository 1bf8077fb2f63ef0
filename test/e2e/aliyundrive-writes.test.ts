// Writes that behave alike through both Aliyundrive APIs that write (Open and legacy): uploads in
// parts under failing and cut parts, throttling and expiring part URLs, and rapid upload, each
// asserted on the emulator's counters. What differs per API lives in aliyundrive.test.ts and
// aliyundrive-legacy.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ensureRandomFile } from '../../src/cli/demo-content.js';
import { startDrive, mount, sh, MiB, type DriveFixture, type MountFixture } from '../helpers/harness.js';

/** The part size each driver starts with: Open 20 MiB, legacy 10 MiB (what the facts' clients send). */
const PART: Record<string, number> = { aliyundrive: 20 * MiB, 'aliyundrive-legacy': 10 * MiB };

const fixtures: { d?: DriveFixture; m?: MountFixture }[] = [];
after(async () => {
  for (const f of fixtures.reverse()) {
    await f.m?.unmount();
    await f.d?.close();
  }
});

async function setup(service: string, opts: { seed?: (root: string) => Promise<void>; emulatorArgs?: string[]; remote?: Record<string, unknown> } = {}) {
  const f: { d?: DriveFixture; m?: MountFixture } = {};
  fixtures.push(f);
  f.d = await startDrive({ service, seed: opts.seed, emulatorArgs: opts.emulatorArgs, remote: opts.remote });
  f.m = await mount(f.d, ['--cache-dir', path.join(f.d.tmp, 'cache')]);
  return { d: f.d, m: f.m };
}

for (const service of Object.keys(PART)) {
  test(`${service}: a 429 storm, failed and cut parts, and part URLs living 1 s still commit identical bytes`, async () => {
    const { d, m } = await setup(service, { emulatorArgs: ['--throttle-every', '3', '--retry-after', '0.2', '--fail-part-every', '3', '--cut-part-every', '4', '--part-url-ttl', '1'] });
    const src = path.join(d.tmp, 'storm.bin');
    await fs.writeFile(src, randomBytes(Math.round(4.5 * PART[service]!))); // 5 parts
    await new Promise((r) => setTimeout(r, 1200)); // part URLs handed out at create may be dead by the first PUT
    const r = await sh(`cp ${src} ${m.mnt}/storm.bin`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await sh(`cmp ${src} ${d.root}/storm.bin`)).code, 0);
    const s = await d.stats();
    assert.ok(s.partFailed! > 0 && s.partCut! > 0, JSON.stringify(s));
    assert.ok(s.throttled! > 0, JSON.stringify(s));
    assert.equal(s.uploadWithAuthorization, 0, 'a part PUT carried the bearer');
    assert.equal(s.uploadWithContentType, 0, 'a part PUT carried a Content-Type (outside the signature)');
  });

  test(`${service}: rapid upload commits a file the drive already holds without sending its bytes; new content is sent`, async () => {
    const { d, m } = await setup(service, { remote: { rapidUpload: true }, seed: (root) => ensureRandomFile(path.join(root, 'original.bin'), 12 * MiB) });
    const copy = path.join(d.tmp, 'local-copy.bin');
    await fs.copyFile(path.join(d.root, 'original.bin'), copy);
    await d.resetStats();
    const r = await sh(`cp ${copy} ${m.mnt}/duplicate.bin`);
    assert.equal(r.code, 0, r.stderr);
    const s = await d.stats();
    assert.equal(s.preHashMatched, 1, JSON.stringify(s));
    assert.equal(s.rapidUpload, 1, JSON.stringify(s));
    assert.equal(s.uploadBytes ?? 0, 0, 'bytes were sent');
    assert.equal(s.uploadPart ?? 0, 0, 'parts were sent');
    assert.equal((await sh(`cmp ${copy} ${d.root}/duplicate.bin`)).code, 0);
    // A new content goes the normal way.
    await fs.writeFile(copy, randomBytes(2 * MiB));
    await d.resetStats();
    assert.equal((await sh(`cp ${copy} ${m.mnt}/fresh.bin`)).code, 0);
    const s2 = await d.stats();
    assert.equal(s2.rapidUpload ?? 0, 0, JSON.stringify(s2));
    assert.ok((s2.uploadBytes ?? 0) >= 2 * MiB, JSON.stringify(s2));
    assert.equal((await sh(`cmp ${copy} ${d.root}/fresh.bin`)).code, 0);
  });
}
