import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cookieOf, headerOf, hostOf, pathOnly, queryParams, requestHeader } from '../src/routing/index.js';
import { request } from './routing-fixtures.js';

describe('routing: request attributes', () => {
  test('query parameters are decoded; the first occurrence wins', () => {
    assert.deepEqual([...queryParams('/p?a=1&b=x%20y&a=2&flag')], [['a', '1'], ['b', 'x y'], ['flag', '']]);
    assert.equal(pathOnly('/p?a=1'), '/p');
  });
  test('cookies by name, quotes removed', () => {
    assert.equal(cookieOf({ cookie: 'a=1; session="abc"' }, 'session'), 'abc');
    assert.equal(cookieOf({ cookie: 'a=1' }, 'session'), undefined);
  });
  test('host of an authority, IPv6 included', () => {
    assert.equal(hostOf('a.b:8080'), 'a.b');
    assert.equal(hostOf('[::1]:80'), '[::1]');
    assert.equal(hostOf('[::1]'), '[::1]');
    assert.equal(hostOf('a.b'), 'a.b');
  });
  test('pseudo-headers read from the request; other names are case-insensitive', () => {
    const req = request({ headers: new Map([['x-a', '1']]) });
    assert.equal(requestHeader(req, ':authority'), req.authority);
    assert.equal(requestHeader(req, ':method'), 'GET');
    assert.equal(headerOf(req.headers, 'X-A'), '1');
  });
  test('property: a path never loses its query to pathOnly except after "?"', () => {
    fc.assert(fc.property(fc.webPath(), fc.string(), (p, q) => assert.equal(pathOnly(`${p.split('?')[0]}?${q}`), p.split('?')[0])));
  });
});
