// The share's cookie jar sends a cookie only where a browser would: to the host that set it, or
// with a Domain attribute to that domain; a Domain the setting host is not in is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CookieJar } from '../../src/drives/onedrive-share/cookies.js';

test('a cookie set without Domain goes back only to the host that set it', () => {
  const jar = new CookieJar();
  jar.absorb('https://contoso-my.sharepoint.com/:f:/g/personal/x/E', ['FedAuth=abc; path=/; HttpOnly', 'rtFa=r1; path=/']);
  assert.equal(jar.header('https://contoso-my.sharepoint.com/personal/x/_api/v2.1/graphql'), 'FedAuth=abc; rtFa=r1');
  assert.equal(jar.header('https://login.microsoftonline.com/common/login'), '', 'never to another host');
  assert.equal(jar.header('https://evil.contoso-my.sharepoint.com/'), '', 'nor to a subdomain of a host-only cookie');
  assert.equal(jar.has('FedAuth', 'https://contoso.sharepoint.com/'), false);
});

test('a Domain cookie goes to that domain and its subdomains; a foreign Domain is refused; an emptied cookie is deleted', () => {
  const jar = new CookieJar();
  jar.absorb('https://a.contoso.com/x', ['S=1; Domain=.contoso.com', 'T=2; Domain=other.com']);
  assert.equal(jar.header('https://b.contoso.com/'), 'S=1');
  assert.equal(jar.header('https://other.com/'), '', 'a host cannot set a cookie for a domain it is not in');
  jar.absorb('https://a.contoso.com/x', 'S=; Domain=contoso.com');
  assert.equal(jar.header('https://b.contoso.com/'), '');
});

test('cookies of two hosts stay apart even under one name', () => {
  const jar = new CookieJar();
  jar.absorb('http://127.0.0.1:8000/', 'FedAuth=one');
  jar.absorb('http://localhost:8000/', 'FedAuth=two');
  assert.equal(jar.header('http://127.0.0.1:8000/a'), 'FedAuth=one');
  assert.equal(jar.header('http://localhost:8000/a'), 'FedAuth=two');
});
