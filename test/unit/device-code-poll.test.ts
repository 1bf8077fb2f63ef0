// The device-code poll loop against a scripted token endpoint: RFC 8628's pending and slow_down
// answers change when the next poll happens; expiry and refusal end the login.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { pollDeviceCode, type DeviceCode } from '../../src/drives/onedrive/login.js';
import { HttpClient } from '../../src/http/client.js';
import { tinyServer } from '../helpers/tiny-server.js';

function scripted(answers: object[]) {
  const times: number[] = [];
  return {
    times,
    start: () =>
      tinyServer((req, res, n) => {
        times.push(Date.now());
        const a = answers[Math.min(n - 1, answers.length - 1)]!;
        res.writeHead('access_token' in a ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify(a));
      }),
  };
}

const dc = (o: Partial<DeviceCode> = {}): DeviceCode => ({
  deviceCode: 'dc', userCode: 'ABC', verificationUri: 'http://x/devicelogin', expiresInSec: 60, intervalSec: 0.2, message: '', ...o,
});

test('pending answers are polled again at the interval; slow_down adds 5 s before the next poll', async () => {
  const s = scripted([{ error: 'authorization_pending' }, { error: 'slow_down' }, { access_token: 'a', refresh_token: 'r', expires_in: 10 }]);
  const srv = await s.start();
  const http = new HttpClient();
  try {
    const started = Date.now();
    const t = await pollDeviceCode(http, { authUrl: srv.url, tenant: 'common', clientId: 'c' }, dc());
    assert.deepEqual(t, { accessToken: 'a', refreshToken: 'r', expiresInSec: 10 });
    assert.equal(s.times.length, 3);
    assert.ok(s.times[0]! - started >= 190, 'the first poll waits one interval');
    assert.ok(s.times[1]! - s.times[0]! < 2000, 'after pending: the same interval');
    assert.ok(s.times[2]! - s.times[1]! >= 5190, `after slow_down: interval + 5 s (was ${s.times[2]! - s.times[1]!} ms)`);
  } finally {
    await http.close();
    await srv.close();
  }
});

test('expired_token, authorization_declined and the code running out each end the login', async () => {
  const http = new HttpClient();
  for (const [answer, re] of [
    [{ error: 'expired_token' }, /expired/],
    [{ error: 'authorization_declined' }, /declined/],
    [{ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x' }, /invalid_client: AADSTS7000215: Invalid client secret provided\.$/],
  ] as const) {
    const srv = await scripted([answer]).start();
    try {
      await assert.rejects(pollDeviceCode(http, { authUrl: srv.url, tenant: 'common', clientId: 'c' }, dc()), re);
    } finally {
      await srv.close();
    }
  }
  const srv = await scripted([{ error: 'authorization_pending' }]).start();
  try {
    await assert.rejects(pollDeviceCode(http, { authUrl: srv.url, tenant: 'common', clientId: 'c' }, dc({ expiresInSec: 0.5 })), /expired before it was entered/);
    assert.ok(srv.requests.length >= 1 && srv.requests.length <= 3);
  } finally {
    await srv.close();
    await http.close();
  }
});
