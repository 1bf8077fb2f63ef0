import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoopbackRedirect } from '../../src/cli/login/loopback-redirect.js';

test('only a redirect with this login\'s state ends the wait; stray ?error= and ?code= are answered and ignored', async () => {
  const lb = new LoopbackRedirect('the-state');
  await lb.listen(0);
  let hit: URL | undefined;
  void lb.hit.then((u) => (hit = u));
  try {
    const base = `http://127.0.0.1:${lb.port}/`;
    for (const q of ['?error=access_denied', '?error=access_denied&state=other', '?code=forged', '?code=forged&state=other']) {
      const res = await fetch(base + q);
      assert.equal(res.status, 400, q);
      assert.match(await res.text(), /does not answer the sign-in/, q);
      await new Promise((r) => setImmediate(r));
      assert.equal(hit, undefined, `${q} ended the login`);
    }
    const notFound = await fetch(`${base}favicon.ico`);
    assert.equal(notFound.status, 404);
    await notFound.text();
    const res = await fetch(`${base}?code=real&state=the-state`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /close this window/);
    const u = await lb.hit;
    assert.equal(u.searchParams.get('code'), 'real');
  } finally {
    await lb.close();
  }
});

test('an error carrying the right state ends the login (the user declined)', async () => {
  const lb = new LoopbackRedirect('s2');
  await lb.listen(0);
  try {
    const res = await fetch(`http://127.0.0.1:${lb.port}/?error=access_denied&error_description=no&state=s2`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /did not complete/);
    assert.equal((await lb.hit).searchParams.get('error'), 'access_denied');
  } finally {
    await lb.close();
  }
});
