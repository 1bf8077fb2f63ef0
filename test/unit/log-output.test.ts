import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, openSync, closeSync, constants, readSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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
    const sink = new LogSink('/dev/full', undefined, { fallbackFd: fd });
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
    const sink = new LogSink(fd, undefined, { fallbackFd: fd });
    assert.doesNotThrow(() => sink.write('{"msg":"lost"}\n'));
    assert.doesNotThrow(() => sink.write('{"msg":"lost too"}\n'));
  } finally {
    closeSync(fd);
  }
});

test('a pipe whose reader stopped: one line waits, later ones are dropped at once and counted, the count is logged when it drains', async () => {
  const dir = await tmpdir();
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const rd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const wr = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const sleeps: number[] = [];
  try {
    // Fill the pipe to the brim, as a reader that stopped would leave it.
    const block = Buffer.alloc(4096, 0x2e);
    for (;;) {
      try {
        writeSync(wr, block);
      } catch {
        break;
      }
    }
    for (;;) {
      try {
        writeSync(wr, 'x');
      } catch {
        break;
      }
    }
    const sink = new LogSink(wr, undefined, { fallbackFd: wr, sleep: (ms) => void sleeps.push(ms) });
    sink.write('{"msg":"first"}\n');
    const waitedFirst = sleeps.reduce((a, b) => a + b, 0);
    assert.ok(waitedFirst >= 1000, `the first line waited only ${waitedFirst} ms for the reader`);
    for (let i = 0; i < 20; i++) sink.write(`{"msg":"more ${i}"}\n`);
    assert.equal(sleeps.reduce((a, b) => a + b, 0), waitedFirst, 'a line waited on a pipe already known to be full');
    // The reader comes back and drains the pipe.
    const drain = Buffer.alloc(1 << 16);
    for (;;) {
      try {
        if (readSync(rd, drain) === 0) break;
      } catch {
        break;
      }
    }
    sink.write('{"msg":"after"}\n');
    const got: string[] = [];
    for (;;) {
      try {
        const n = readSync(rd, drain);
        if (n === 0) break;
        got.push(drain.subarray(0, n).toString('utf8'));
      } catch {
        break;
      }
    }
    assert.equal(got.join(''), 'drivemount: 21 log lines dropped: the log reader was not keeping up\n{"msg":"after"}\n');
  } finally {
    closeSync(wr);
    closeSync(rd);
    await fs.rm(dir, { recursive: true });
  }
});
