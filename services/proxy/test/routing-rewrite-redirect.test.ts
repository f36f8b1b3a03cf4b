import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildRedirect, rewriteRequest } from '../src/routing/index.js';
import { request } from './routing-fixtures.js';

describe('routing: rewrite', () => {
  test('uri rewrite swaps the matched prefix, keeping the rest and the query', () => {
    assert.deepEqual(rewriteRequest({ uri: '/v2/' }, { prefix: '/api/' }, { path: '/api/users?id=1' }), { path: '/v2/users?id=1' });
  });
  test('no uri match means the prefix "/" matched (Envoy: "/v2" + "foo")', () => {
    assert.deepEqual(rewriteRequest({ uri: '/v2' }, undefined, { path: '/foo' }), { path: '/v2foo' });
  });
  test('exact and regex matches swap the whole path, not the query', () => {
    assert.deepEqual(rewriteRequest({ uri: '/new' }, { exact: '/old' }, { path: '/old?x=1' }), { path: '/new?x=1' });
    assert.deepEqual(rewriteRequest({ uri: '/new' }, { regex: '/o.*' }, { path: '/old/a' }), { path: '/new' });
  });
  test('uriRegexRewrite replaces every match with RE2-style groups', () => {
    assert.deepEqual(rewriteRequest({ uriRegexRewrite: { match: '^/service/([^/]+)(/.*)$', rewrite: '\\2/instance/\\1' } }, { prefix: '/' }, { path: '/service/foo/v1/api?q' }), {
      path: '/v1/api/instance/foo?q',
    });
    assert.deepEqual(rewriteRequest({ uriRegexRewrite: { match: 'a', rewrite: 'b$' } }, undefined, { path: '/aa' }), { path: '/b$b$' });
  });
  test('authority rewrite', () => {
    assert.deepEqual(rewriteRequest({ authority: 'internal.svc' }, undefined, { path: '/x' }), { path: '/x', authority: 'internal.svc' });
  });
  test('property: a prefix rewrite to the same prefix changes nothing', () => {
    fc.assert(
      fc.property(fc.webPath(), fc.string(), (rest, q) => {
        const path = `/api${rest}${q === '' ? '' : `?${encodeURIComponent(q)}`}`;
        assert.equal(rewriteRequest({ uri: '/api' }, { prefix: '/api' }, { path }).path, path);
      }),
    );
  });
});

describe('routing: redirect', () => {
  const req = request({ path: '/old?a=1', authority: 'shop.example.com', scheme: 'http', port: 80 });
  test('uri swaps the path and keeps the query; default code 301', () => {
    assert.deepEqual(buildRedirect({ uri: '/new' }, req), { status: 301, location: 'http://shop.example.com/new?a=1' });
    assert.deepEqual(buildRedirect({ uri: '/new?b=2' }, req), { status: 301, location: 'http://shop.example.com/new?b=2' });
  });
  test('prefixRewrite swaps only the matched prefix (Istio\'s /foo/ → / example), query kept', () => {
    const foo = request({ path: '/foo/baz?a=1', authority: 'example.com', scheme: 'http', port: 80 });
    assert.deepEqual(buildRedirect({ authority: 'foo.example.com', prefixRewrite: '/' }, foo, { prefix: '/foo/' }), { status: 301, location: 'http://foo.example.com/baz?a=1' });
    assert.deepEqual(buildRedirect({ prefixRewrite: '/bar' }, foo, { prefix: '/foo' }), { status: 301, location: 'http://example.com/bar/baz?a=1' });
  });
  test('authority, scheme and redirectCode', () => {
    assert.deepEqual(buildRedirect({ authority: 'store.example.com', scheme: 'https', redirectCode: 308 }, req), { status: 308, location: 'https://store.example.com/old?a=1' });
  });
  test("a port equal to the scheme's default is left out; another port is written", () => {
    assert.equal(buildRedirect({ scheme: 'https', port: 443 }, req).location, 'https://shop.example.com/old?a=1');
    assert.equal(buildRedirect({ port: 8080 }, req).location, 'http://shop.example.com:8080/old?a=1');
    assert.equal(buildRedirect({ derivePort: 'FROM_REQUEST_PORT' }, request({ authority: 'a:9090', port: 9090, path: '/' })).location, 'http://a:9090/');
  });
  test("changing the scheme drops the old scheme's default port from the authority", () => {
    assert.equal(buildRedirect({ scheme: 'https' }, request({ authority: 'a.com:80', path: '/' })).location, 'https://a.com/');
    assert.equal(buildRedirect({ scheme: 'https' }, request({ authority: 'a.com:8080', path: '/' })).location, 'https://a.com:8080/');
  });
});
