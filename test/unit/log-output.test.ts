import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, openSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chooseLogFormat, createLogger } from '../../src/util/log.js';
import { LogSink } from '../../src/util/log-sink.js';

async function tmpdir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'dm-log-'));
}

test('a file or a pipe gets JSON, a terminal text; --log-format forces either; a bad format is refused', () => {
  assert.equal(chooseLogFormat(undefined, '/var/log/x.log'), 'json');
  assert.equal(chooseLogFormat('auto', '/var/log/x.log'), 'json');
  const dir = os.tmpdir();
  const fd = openSync(path.join(dir, `dm-log-fd-${process.pid}`), 'w');
  try {
    assert.equal(chooseLogFormat('auto', fd), 'json', 'a non-terminal descriptor gets JSON');
  } finally {
    closeSync(fd);
  }
  assert.equal(chooseLogFormat('text', '/var/log/x.log'), 'text');
  assert.equal(chooseLogFormat('json', 2), 'json');
  assert.throws(() => chooseLogFormat('yaml', 2), /--log-format must be one of auto, json, text/);
});

test('text lines: one line per event with time, level, message and fields, no colours off a terminal, secrets redacted', async () => {
  const dir = await tmpdir();
  const file = path.join(dir, 'text.log');
  const log = createLogger({ level: 'debug', destination: file, format: 'text' });
  log.info({ remote: 'od', refreshToken: 'RT-SECRET', body: { client_secret: 'CS-SECRET' } }, 'mounted');
  log.error({ err: new Error('boom') }, 'upload failed');
  const text = await fs.readFile(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 2, text);
  assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: mounted \{.*"remote":"od"/);
  assert.match(lines[1]!, /^\[[\d:.]+\] ERROR: upload failed .*boom/);
  assert.ok(!text.includes('\x1b['), 'colour codes in a file');
  assert.ok(!text.includes('RT-SECRET') && !text.includes('CS-SECRET'), text);
  assert.match(lines[0]!, /\[redacted\]/);
  await fs.rm(dir, { recursive: true });
});

test('JSON lines redact secrets the same way', async () => {
  const dir = await tmpdir();
  const file = path.join(dir, 'json.log');
  const log = createLogger({ level: 'info', destination: file });
  log.info({ remote: 'od', clientSecret: 'CS-SECRET', nested: { accessToken: 'AT' } }, 'hello');
  const j = JSON.parse((await fs.readFile(file, 'utf8')).trim());
  assert.equal(j.msg, 'hello');
  assert.equal(j.clientSecret, '[redacted]');
  assert.equal(j.nested.accessToken, '[redacted]');
  await fs.rm(dir, { recursive: true });
});

test('a log file that cannot be written (ENOSPC: /dev/full) never throws: one line says so, the rest goes to the fallback', async () => {
  const dir = await tmpdir();
  const fallback = path.join(dir, 'stderr');
  const fd = openSync(fallback, 'w');
  try {
    const sink = new LogSink('/dev/full', undefined, fd);
    assert.doesNotThrow(() => sink.write('{"msg":"one"}\n'));
    assert.doesNotThrow(() => sink.write('{"msg":"two"}\n'));
  } finally {
    closeSync(fd);
  }
  const lines = (await fs.readFile(fallback, 'utf8')).trimEnd().split('\n');
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0]!, /cannot write the log to \/dev\/full \(ENOSPC\); logging to stderr from now on/);
  assert.deepEqual(lines.slice(1), ['{"msg":"one"}', '{"msg":"two"}']);
  await fs.rm(dir, { recursive: true });
});

test('when the fallback fails too, lines are dropped without an error', () => {
  const fd = openSync('/dev/full', 'w');
  try {
    const sink = new LogSink(fd, undefined, fd);
    assert.doesNotThrow(() => sink.write('{"msg":"lost"}\n'));
    assert.doesNotThrow(() => sink.write('{"msg":"lost too"}\n'));
  } finally {
    closeSync(fd);
  }
});
