// Aliyundrive emulator: the upload flow (create, part PUTs, getUploadUrl,
// listUploadedParts, complete), its rules and faults, rapid upload and quota.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type AliHarness, sleep, startAliHarness } from '../../src/emulators/aliyundrive/harness.js';

const KB100 = 100 * 1024;
const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex').toUpperCase();

/** The v1 proof, computed independently of the emulator's code. */
function proof(token: string, data: Buffer): string {
  const r = BigInt('0x' + createHash('md5').update(token).digest('hex').slice(0, 16));
  const start = Number(r % BigInt(data.length));
  return data.subarray(start, Math.min(start + 8, data.length)).toString('base64');
}

describe('Aliyundrive emulator: uploads', () => {
  let h: AliHarness;
  let drive: string;
  const known = randomBytes(250_000);

  before(async () => {
    h = await startAliHarness({}, async (root) => {
      await writeFile(path.join(root, 'existing.txt'), 'old content');
      await writeFile(path.join(root, 'known.bin'), known);
    });
    drive = h.emu.driveIds.resource;
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.emu.setFaults({ partUrlTtlSec: 900, failPartEvery: 0, cutPartEvery: 0, quotaTotal: 1024 ** 4 });
    h.emu.resetStats();
  });

  const create = (name: string, extra: Record<string, unknown>) =>
    h.api('openFile/create', { drive_id: drive, parent_file_id: 'root', name, type: 'file', check_name_mode: 'refuse', ...extra });
  const parts = (n: number) => Array.from({ length: n }, (_, i) => ({ part_number: i + 1 }));
  const put = async (url: string, body: Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method: 'PUT', body: new Uint8Array(body), headers });
    return { status: res.status, text: await res.text(), etag: res.headers.get('etag') };
  };
  const complete = (c: { file_id: string; upload_id: string }) => h.api('openFile/complete', { drive_id: drive, file_id: c.file_id, upload_id: c.upload_id });
  const uploaded = async (c: { file_id: string; upload_id: string }) =>
    (await h.api('openFile/listUploadedParts', { drive_id: drive, file_id: c.file_id, upload_id: c.upload_id })).body.uploaded_parts;

  it('uploads parts in order and shows the file only on complete', async () => {
    const data = randomBytes(2 * KB100 + 5000);
    const c = await create('big.bin', { size: data.length, part_info_list: parts(3) });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.rapid_upload, false);
    assert.match(c.body.file_id, /^[0-9a-f]{40}$/);
    const urls = c.body.part_info_list.map((p: { upload_url: string }) => p.upload_url);
    assert.equal(urls.length, 3);
    const chunk = (i: number) => data.subarray(i * KB100, Math.min((i + 1) * KB100, data.length));

    let r = await put(urls[1], chunk(1));
    assert.equal(r.status, 400);
    assert.match(r.text, /PartNotSequential/);
    r = await put(urls[0], chunk(0));
    assert.equal(r.status, 200);
    assert.equal(r.etag, `"${createHash('md5').update(chunk(0)).digest('hex').toUpperCase()}"`);
    r = await put(urls[0], chunk(0));
    assert.equal(r.status, 409);
    assert.match(r.text, /PartAlreadyExist/);
    assert.deepEqual((await uploaded(c.body)).map((p: { part_number: number; size: number }) => [p.part_number, p.size]), [[1, KB100]]);
    assert.ok(!(await readdir(h.root)).includes('big.bin'));
    assert.equal((await h.api('openFile/get', { drive_id: drive, file_id: c.body.file_id })).status, 404);

    assert.equal((await put(urls[1], chunk(1))).status, 200);
    assert.equal((await put(urls[2], chunk(2))).status, 200);
    const done = await complete(c.body);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.file_id, c.body.file_id);
    assert.equal(done.body.name, 'big.bin');
    assert.equal(done.body.size, data.length);
    assert.equal(done.body.content_hash, sha1(data));
    assert.ok((await readFile(path.join(h.root, 'big.bin'))).equals(data));
    assert.equal((await complete(c.body)).body.code, 'NotFound.UploadId');
    const s = h.emu.stats();
    assert.equal(s.uploadPart, 5);
    assert.equal(s.uploadBytes, data.length); // refused parts store nothing
    assert.equal(s.partConflict, 1);
    assert.equal(s.partNotSequential, 1);
    assert.equal(s.create, 1);
    assert.equal(s.complete, 2);
    assert.equal(s.listUploadedParts, 1);
  });

  it('expires part URLs; getUploadUrl gives fresh ones', async () => {
    h.emu.setFaults({ partUrlTtlSec: 1 });
    const data = randomBytes(1000);
    const c = await create('late.bin', { size: data.length, part_info_list: parts(1) });
    await sleep(2100);
    let r = await put(c.body.part_info_list[0].upload_url, data);
    assert.equal(r.status, 403);
    assert.match(r.text, /Request has expired/);
    assert.equal(h.emu.stats().expiredPartUrl, 1);
    h.emu.setFaults({ partUrlTtlSec: 900 });
    const fresh = await h.api('openFile/getUploadUrl', { drive_id: drive, file_id: c.body.file_id, upload_id: c.body.upload_id, part_info_list: parts(1) });
    assert.equal(fresh.status, 200);
    r = await put(fresh.body.part_info_list[0].upload_url, data);
    assert.equal(r.status, 200);
    assert.equal((await complete(c.body)).body.size, 1000);
    const bad = await h.api('openFile/getUploadUrl', { drive_id: drive, file_id: c.body.file_id, upload_id: 'nope' });
    assert.equal(bad.body.code, 'NotFound.UploadId');
  });

  it('refuses a Content-Type on part PUTs and counts Authorization', async () => {
    const c = await create('typed.bin', { size: 10, part_info_list: parts(1) });
    const url = c.body.part_info_list[0].upload_url;
    let r = await put(url, Buffer.alloc(10), { 'content-type': 'application/octet-stream' });
    assert.equal(r.status, 403);
    assert.match(r.text, /SignatureDoesNotMatch/);
    r = await put(url, Buffer.alloc(10), { authorization: `Bearer ${h.accessToken}` });
    assert.equal(r.status, 200);
    const s = h.emu.stats();
    assert.equal(s.uploadWithContentType, 1);
    assert.equal(s.uploadWithAuthorization, 1);
    assert.equal((await complete(c.body)).status, 200);
  });

  it('checks sizes at complete, and uploads empty files without parts', async () => {
    let c = await create('short.bin', { size: 500, part_info_list: parts(1) });
    await put(c.body.part_info_list[0].upload_url, Buffer.alloc(400));
    let r = await complete(c.body);
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'InvalidParameter.Size');
    c = await create('small-parts.bin', { part_info_list: parts(2) });
    await put(c.body.part_info_list[0].upload_url, Buffer.alloc(1000));
    await put(c.body.part_info_list[1].upload_url, Buffer.alloc(1000));
    r = await complete(c.body);
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'EntityTooSmall');
    c = await create('empty.txt', { size: 0, part_info_list: [] });
    assert.deepEqual(c.body.part_info_list, []);
    r = await complete(c.body);
    assert.equal(r.status, 200);
    assert.equal(r.body.size, 0);
    assert.equal((await readFile(path.join(h.root, 'empty.txt'))).length, 0);
  });

  it('applies check_name_mode to uploads', async () => {
    let r = await create('existing.txt', { size: 3, part_info_list: parts(1) });
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'AlreadyExist.File');
    r = await create('existing.txt', { size: 3, part_info_list: parts(1), check_name_mode: 'auto_rename' });
    assert.equal(r.body.file_name, 'existing(1).txt');
    const old = (await h.api('openFile/get_by_path', { drive_id: drive, file_path: '/existing.txt' })).body.file_id;
    r = await create('existing.txt', { size: 3, part_info_list: parts(1), check_name_mode: 'ignore' });
    await put(r.body.part_info_list[0].upload_url, Buffer.from('new'));
    const done = await complete(r.body);
    assert.equal(done.status, 200);
    assert.notEqual(done.body.file_id, old);
    assert.equal(await readFile(path.join(h.root, 'existing.txt'), 'utf8'), 'new');
    // The service would now list two "existing.txt"; the older one is displaced
    // out of the folder but still addressable by id, so it can be cleaned up.
    const listed = (await h.api('openFile/list', { drive_id: drive, parent_file_id: 'root' })).body.items;
    assert.equal(listed.filter((i: { name: string }) => i.name === 'existing.txt').length, 1);
    const g = await h.api('openFile/get', { drive_id: drive, file_id: old });
    assert.equal(g.status, 200);
    assert.equal(g.body.size, 'old content'.length);
    assert.equal((await h.api('openFile/recyclebin/trash', { drive_id: drive, file_id: old })).status, 200);
    assert.equal((await h.api('openFile/get', { drive_id: drive, file_id: old })).status, 404);
  });

  it('injected part failures and cuts store nothing', async () => {
    const data = randomBytes(50_000);
    const c = await create('flaky.bin', { size: data.length, part_info_list: parts(1) });
    const url = c.body.part_info_list[0].upload_url;
    h.emu.setFaults({ failPartEvery: 1 });
    let r = await put(url, data);
    assert.equal(r.status, 500);
    h.emu.setFaults({ failPartEvery: 0, cutPartEvery: 1 });
    await assert.rejects(put(url, data));
    assert.deepEqual(await uploaded(c.body), []);
    h.emu.setFaults({ cutPartEvery: 0 });
    r = await put(url, data);
    assert.equal(r.status, 200);
    assert.equal((await complete(c.body)).body.content_hash, sha1(data));
    const s = h.emu.stats();
    assert.equal(s.partFailed, 1);
    assert.equal(s.partCut, 1);
  });

  it('rapid upload: pre_hash match, then a proof commits without bytes', async () => {
    const pre = sha1(known.subarray(0, 1024));
    let r = await create('copy.bin', { size: known.length, pre_hash: pre, part_info_list: parts(3) });
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'PreHashMatched');
    const base = { size: known.length, content_hash_name: 'sha1', content_hash: sha1(known), proof_version: 'v1', part_info_list: parts(3) };
    r = await create('copy.bin', { ...base, proof_code: Buffer.from('wrong!!!').toString('base64') });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'InvalidParameter.ProofCode');
    r = await create('copy.bin', { ...base, proof_code: proof(h.accessToken, known) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.rapid_upload, true);
    assert.ok((await readFile(path.join(h.root, 'copy.bin'))).equals(known));
    const done = await complete(r.body);
    assert.equal(done.status, 200);
    assert.equal(done.body.content_hash, sha1(known));
    // A pre_hash nobody has: a normal upload starts.
    r = await create('fresh.bin', { size: 2000, pre_hash: sha1(randomBytes(1024)), part_info_list: parts(1) });
    assert.equal(r.status, 200);
    assert.equal(r.body.rapid_upload, false);
    const s = h.emu.stats();
    assert.equal(s.preHashMatched, 1);
    assert.equal(s.proofRejected, 1);
    assert.equal(s.rapidUpload, 1);
    assert.equal(s.uploadPart, 0);
  });

  it('refuses to go over quota at create and at complete', async () => {
    const used = (await h.api('user/getSpaceInfo')).body.personal_space_info.used_size;
    h.emu.setFaults({ quotaTotal: used + 1000 });
    let r = await create('huge.bin', { size: 5000, part_info_list: parts(1) });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'QuotaExhausted.Drive');
    r = await create('sneaky.bin', { part_info_list: parts(1) }); // size not declared
    assert.equal(r.status, 200);
    await put(r.body.part_info_list[0].upload_url, Buffer.alloc(5000));
    const done = await complete(r.body);
    assert.equal(done.body.code, 'QuotaExhausted.Drive');
    assert.equal(h.emu.stats().quotaExceeded, 2);
  });
});
