import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RouteMatch } from '@jetmesh/model';
import { matchString, selectRoute, selectRouteWithMatch, type HttpMatch } from '../src/routing/index.js';
import { request, route } from './routing-fixtures.js';

const snapshot = (...routes: ReturnType<typeof route>[]) => ({ routes });
const m = (x: HttpMatch): RouteMatch => x as RouteMatch;

describe('routing: string match', () => {
  test('regex is a full match, as Envoy safe_regex (not a search)', () => {
    assert.equal(matchString({ regex: 'v[0-9]+' }, 'v12'), true);
    assert.equal(matchString({ regex: 'v[0-9]+' }, 'xv12'), false);
    assert.equal(matchString({ regex: 'a|b' }, 'ab'), false);
  });
  test('an invalid regex matches nothing instead of throwing', () => {
    assert.equal(matchString({ regex: '(' }, '('), false);
  });
  test('property: exact matches only itself, prefix matches every extension', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        assert.equal(matchString({ exact: a }, a + b), b === '');
        assert.equal(matchString({ prefix: a }, a + b), true);
      }),
    );
  });
});

describe('routing: route selection', () => {
  test('first matching route wins', () => {
    const s = snapshot(route('v2', [m({ uri: { prefix: '/api' } })]), route('catch-all', []));
    assert.equal(selectRoute(s, request({ path: '/api/x' }))?.name, 'v2');
    assert.equal(selectRoute(s, request({ path: '/other' }))?.name, 'catch-all');
  });
  test('no route matches → undefined (the data plane answers 404)', () => {
    assert.equal(selectRoute(snapshot(route('a', [m({ uri: { exact: '/a' } })])), request({ path: '/b' })), undefined);
  });
  test('matches in one route are OR, fields inside one match are AND', () => {
    const s = snapshot(route('r', [m({ uri: { prefix: '/a' }, method: { exact: 'POST' } }), m({ headers: { 'x-v': { exact: '2' } } })]));
    assert.equal(selectRoute(s, request({ path: '/a', method: 'POST' }))?.name, 'r');
    assert.equal(selectRoute(s, request({ path: '/a', method: 'GET' })), undefined);
    assert.equal(selectRoute(s, request({ path: '/zzz', headers: { 'x-v': '2' } }))?.name, 'r');
  });
  test('exact and regex URI ignore the query string, prefix sees it', () => {
    assert.ok(selectRoute(snapshot(route('e', [m({ uri: { exact: '/a' } })])), request({ path: '/a?x=1' })));
    assert.ok(selectRoute(snapshot(route('r', [m({ uri: { regex: '/a' } })])), request({ path: '/a?x=1' })));
    assert.ok(selectRoute(snapshot(route('p', [m({ uri: { prefix: '/a?x' } })])), request({ path: '/a?x=1' })));
  });
  test('ignoreUriCase applies to exact and prefix, not regex (Envoy case_sensitive)', () => {
    assert.ok(selectRoute(snapshot(route('p', [m({ uri: { prefix: '/API' }, ignoreUriCase: true })])), request({ path: '/api/v1' })));
    assert.ok(selectRoute(snapshot(route('e', [m({ uri: { exact: '/API' }, ignoreUriCase: true })])), request({ path: '/api' })));
    assert.equal(selectRoute(snapshot(route('r', [m({ uri: { regex: '/API' }, ignoreUriCase: true })])), request({ path: '/api' })), undefined);
  });
  test('header presence: {} or regex "*" means present', () => {
    const s = snapshot(route('p', [m({ headers: { 'x-canary': {} } })]), route('r', [m({ headers: { 'x-b': { regex: '*' } } })]));
    assert.equal(selectRoute(s, request({ headers: { 'x-canary': '' } }))?.name, 'p');
    assert.equal(selectRoute(s, request({ headers: { 'x-b': 'anything' } }))?.name, 'r');
    assert.equal(selectRoute(s, request()), undefined);
  });
  test('header names match case-insensitively; headers given as a Map work too', () => {
    const s = snapshot(route('h', [m({ headers: { 'X-User': { exact: 'jason' } } })]));
    assert.ok(selectRoute(s, request({ headers: new Map([['x-user', 'jason']]) })));
    assert.equal(selectRoute(s, request({ headers: { 'x-user': 'Jason' } })), undefined);
  });
  test('withoutHeaders: absent or different header matches, a present match inverts presence', () => {
    const s = snapshot(route('w', [m({ withoutHeaders: { 'x-env': { exact: 'prod' } } })]));
    assert.ok(selectRoute(s, request()));
    assert.ok(selectRoute(s, request({ headers: { 'x-env': 'dev' } })));
    assert.equal(selectRoute(s, request({ headers: { 'x-env': 'prod' } })), undefined);
    const p = snapshot(route('wp', [m({ withoutHeaders: { 'x-debug': { regex: '*' } } })]));
    assert.ok(selectRoute(p, request()));
    assert.equal(selectRoute(p, request({ headers: { 'x-debug': '1' } })), undefined);
  });
  test('JWT claim header matches never match (no JWT validation here); withoutHeaders on them always does', () => {
    assert.equal(selectRoute(snapshot(route('c', [m({ headers: { '@request.auth.claims.group': { exact: 'a' } } })])), request()), undefined);
    assert.ok(selectRoute(snapshot(route('c', [m({ withoutHeaders: { '@request.auth.claims.group': { exact: 'a' } } })])), request()));
  });
  test('query params, method, authority, scheme, port, source labels and namespace', () => {
    const s = snapshot(
      route('q', [m({ queryParams: { v: { exact: '2' } } })]),
      route('meth', [m({ method: { exact: 'DELETE' } })]),
      route('auth', [m({ authority: { prefix: 'api.' } })]),
      route('sch', [m({ scheme: { exact: 'https' } })]),
      route('port', [m({ port: 8443 })]),
      route('src', [m({ sourceLabels: { app: 'productpage' }, sourceNamespace: 'bookinfo' })]),
    );
    assert.equal(selectRoute(s, request({ path: '/x?a=1&v=2' }))?.name, 'q');
    assert.equal(selectRoute(s, request({ method: 'DELETE' }))?.name, 'meth');
    assert.equal(selectRoute(s, request({ authority: 'api.example.com' }))?.name, 'auth');
    assert.equal(selectRoute(s, request({ scheme: 'https' }))?.name, 'sch');
    assert.equal(selectRoute(s, request({ port: 8443 }))?.name, 'port');
    assert.equal(selectRoute(s, request({ sourceLabels: { app: 'productpage', version: 'v1' }, sourceNamespace: 'bookinfo' }))?.name, 'src');
    assert.equal(selectRoute(s, request({ sourceLabels: { app: 'productpage' }, sourceNamespace: 'other' })), undefined);
  });
  test('the match that matched is reported (rewrites need its prefix)', () => {
    const r = route('r', [m({ uri: { prefix: '/a' } }), m({ uri: { prefix: '/b' } })]);
    assert.deepEqual(selectRouteWithMatch([r], request({ path: '/b/1' }))?.match, { uri: { prefix: '/b' } });
  });
  test('property: a route with no match list catches every request', () => {
    fc.assert(
      fc.property(fc.webPath(), fc.constantFrom('GET', 'POST', 'PUT'), (path, method) => {
        assert.equal(selectRoute(snapshot(route('all', [])), request({ path, method }))?.name, 'all');
      }),
    );
  });
});
