import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpClient } from '../../src/http/client.js';
import { HttpError } from '../../src/http/http-error.js';
import { tinyServer } from '../helpers/tiny-server.js';

test('a 429 waits exactly the Retry-After the server names, then succeeds', async () => {
  const times: number[] = [];
  const s = await tinyServer((_req, res, n) => {
    times.push(Date.now());
    if (n === 1) {
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"error":{"code":"activityLimitReached","message":"slow down"}}');
    } else res.end('{"ok":true}');
  });
  const http = new HttpClient({ baseDelayMs: 1 });
  try {
    assert.deepEqual(await http.json({ url: s.url + '/x' }), { ok: true });
    const waited = times[1]! - times[0]!;
    assert.ok(waited >= 990 && waited < 1500, `waited ${waited} ms`);
    assert.equal(http.stats.throttled, 1);
  } finally {
    await http.close();
    await s.close();
  }
});

test('x-retry-after (ms) is honoured, 5xx is retried with backoff, 4xx is not', async () => {
  const times: number[] = [];
  const s = await tinyServer((req, res, n) => {
    times.push(Date.now());
    if (req.url === '/bad') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"itemNotFound","message":"nope"}}');
      return;
    }
    if (n === 1) res.writeHead(429, { 'x-retry-after': '300' }).end();
    else if (n === 2) res.writeHead(503).end();
    else res.end('{}');
  });
  const http = new HttpClient({ baseDelayMs: 10, maxDelayMs: 20 });
  try {
    await http.json({ url: s.url + '/x' });
    assert.equal(s.requests.length, 3);
    assert.ok(times[1]! - times[0]! >= 290, 'x-retry-after not honoured');
    await assert.rejects(http.json({ url: s.url + '/bad' }), (e: unknown) => e instanceof HttpError && e.status === 404 && e.serviceCode === 'itemNotFound');
    assert.equal(s.requests.length, 4, '404 was retried');
  } finally {
    await http.close();
    await s.close();
  }
});

test('pre-authenticated requests carry no Authorization header; connections are kept alive', async () => {
  const ports: number[] = [];
  const s = await tinyServer((req, res) => {
    ports.push(req.socket.remotePort!);
    res.end('ok');
  });
  const http = new HttpClient();
  try {
    for (let i = 0; i < 10; i++) {
      const r = await http.request({ url: s.url + '/dl', preauthenticated: true, headers: { Authorization: 'Bearer secret' } });
      await r.body.text();
    }
    assert.ok(s.requests.every((r) => r.headers.authorization === undefined));
    // A connection may be busy for a moment after its body ends, but most requests must reuse one.
    assert.ok(new Set(ports).size <= 3, `10 requests used ${new Set(ports).size} connections`);
  } finally {
    await http.close();
    await s.close();
  }
});

test('a Retry-After longer than allowed fails instead of hanging', async () => {
  const s = await tinyServer((_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end());
  const http = new HttpClient({ maxServerDelayMs: 1000 });
  try {
    await assert.rejects(http.json({ url: s.url }), /asks to wait 3600 s/);
  } finally {
    await http.close();
    await s.close();
  }
});
