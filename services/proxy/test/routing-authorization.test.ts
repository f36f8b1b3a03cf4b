import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authorize, ipInBlock, matchPathTemplate, pathTemplateProblem, type AuthorizationPolicyInput } from '../src/routing/index.js';
import { request } from './routing-fixtures.js';

type Rule = AuthorizationPolicyInput['rules'][number];
const policy = (source: string, action: AuthorizationPolicyInput['action'], rules: Rule[], provider?: string): AuthorizationPolicyInput => ({
  source,
  action,
  rules,
  ...(provider !== undefined ? { provider } : {}),
});
const sleep = request({ sourcePrincipal: 'cluster.local/ns/default/sa/sleep', sourceIp: '10.0.0.7' });

describe('routing: authorization order', () => {
  test('no policy → allowed', () => {
    assert.equal(authorize([], request()).decision, 'allow');
  });
  test('an ALLOW policy without rules allows nothing', () => {
    const r = authorize([policy('ns/allow-nothing', 'ALLOW', [])], sleep);
    assert.deepEqual(r, { decision: 'deny', audit: false, reason: 'matched no ALLOW policy' });
  });
  test('DENY wins over ALLOW and names the policy', () => {
    const r = authorize([policy('ns/allow-all', 'ALLOW', [{}]), policy('ns/no-delete', 'DENY', [{ to: [{ operation: { methods: ['DELETE'] } }] }])], request({ method: 'DELETE' }));
    assert.deepEqual(r, { decision: 'deny', policy: 'ns/no-delete', audit: false, reason: 'matched a DENY policy' });
    assert.equal(authorize([policy('ns/allow-all', 'ALLOW', [{}])], request()).policy, 'ns/allow-all');
  });
  test('CUSTOM with no external authorizer denies what it selects, before DENY and ALLOW', () => {
    const custom = policy('ns/ext', 'CUSTOM', [{ to: [{ operation: { paths: ['/admin*'] } }] }], 'opa');
    assert.deepEqual(authorize([custom], request({ path: '/admin/x' })), { decision: 'deny', policy: 'ns/ext', audit: false, reason: 'no external authorizer for provider "opa"' });
    assert.equal(authorize([custom], request({ path: '/public' })).decision, 'allow');
  });
  test('AUDIT marks without deciding', () => {
    const r = authorize([policy('ns/audit', 'AUDIT', [{ to: [{ operation: { paths: ['/data'] } }] }])], request({ path: '/data' }));
    assert.deepEqual(r, { decision: 'allow', audit: true, reason: 'no ALLOW policy applies' });
  });
  test('property: with only ALLOW policies, a request is allowed exactly when one matches', () => {
    fc.assert(
      fc.property(fc.subarray(['GET', 'POST', 'PUT', 'DELETE']), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), (methods, method) => {
        const r = authorize([policy('ns/p', 'ALLOW', [{ to: [{ operation: { methods } }] }])], request({ method }));
        assert.equal(r.decision, methods.includes(method) ? 'allow' : 'deny');
      }),
    );
  });
});

describe('routing: authorization sources', () => {
  const allow = (source: NonNullable<Rule['from']>[number]['source']) => [policy('default/p', 'ALLOW', [{ from: [{ source }] }])];
  test('principals: exact, * (any authenticated), prefix* and *suffix; plain text has no principal', () => {
    assert.equal(authorize(allow({ principals: ['cluster.local/ns/default/sa/sleep'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ principals: ['*'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ principals: ['cluster.local/ns/default/*'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ principals: ['*/sa/sleep'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ principals: ['*'] }), request()).decision, 'deny');
    assert.equal(authorize(allow({ notPrincipals: ['*'] }), request()).decision, 'allow');
  });
  test('namespaces come from the peer identity, with * wildcards', () => {
    assert.equal(authorize(allow({ namespaces: ['default'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ namespaces: ['def*'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ namespaces: ['prod'] }), sleep).decision, 'deny');
    assert.equal(authorize(allow({ notNamespaces: ['default'] }), sleep).decision, 'deny');
  });
  test('serviceAccounts: bare names are in the policy namespace, ns/sa elsewhere', () => {
    assert.equal(authorize(allow({ serviceAccounts: ['sleep'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ serviceAccounts: ['default/sleep'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ serviceAccounts: ['other/sleep'] }), sleep).decision, 'deny');
    assert.equal(authorize(allow({ serviceAccounts: ['slee'] }), sleep).decision, 'deny');
  });
  test('ipBlocks on the direct peer, remoteIpBlocks on the original client', () => {
    assert.equal(authorize(allow({ ipBlocks: ['10.0.0.0/24'] }), sleep).decision, 'allow');
    assert.equal(authorize(allow({ ipBlocks: ['10.0.1.0/24'] }), sleep).decision, 'deny');
    assert.equal(authorize(allow({ remoteIpBlocks: ['192.168.0.0/16'] }), request({ sourceIp: '10.0.0.7', remoteIp: '192.168.3.4' })).decision, 'allow');
    assert.equal(authorize(allow({ notIpBlocks: ['10.0.0.7'] }), sleep).decision, 'deny');
  });
  test('CIDR: IPv4, IPv6, IPv4-mapped peers, and property: an address is in its own /32', () => {
    assert.equal(ipInBlock('2001:db8::1', '2001:db8::/32'), true);
    assert.equal(ipInBlock('2001:db9::1', '2001:db8::/32'), false);
    assert.equal(ipInBlock('::ffff:10.1.2.3', '10.0.0.0/8'), true);
    assert.equal(ipInBlock('not-an-ip', '10.0.0.0/8'), false);
    fc.assert(fc.property(fc.ipV4(), (ip) => assert.equal(ipInBlock(ip, `${ip}/32`) && ipInBlock(ip, '0.0.0.0/0'), true)));
  });
});

describe('routing: authorization operations and conditions', () => {
  const allowTo = (operation: NonNullable<Rule['to']>[number]['operation']) => [policy('default/p', 'ALLOW', [{ to: [{ operation }] }])];
  test('hosts are case-insensitive, matched on the whole authority (ports are not stripped, as in Istio)', () => {
    assert.equal(authorize(allowTo({ hosts: ['Reviews.default.svc.cluster.local'] }), request()).decision, 'allow');
    assert.equal(authorize(allowTo({ hosts: ['*.svc.cluster.local'] }), request()).decision, 'allow');
    assert.equal(authorize(allowTo({ hosts: ['example.com'] }), request({ authority: 'example.com:8080' })).decision, 'deny');
    assert.equal(authorize(allowTo({ hosts: ['example.com:*'] }), request({ authority: 'example.com:8080' })).decision, 'allow');
  });
  test('ports, methods, paths (query stripped) and their negations', () => {
    assert.equal(authorize(allowTo({ ports: ['9080'] }), request()).decision, 'allow');
    assert.equal(authorize(allowTo({ methods: ['GET'], paths: ['/info*'] }), request({ path: '/info/x?q=1' })).decision, 'allow');
    assert.equal(authorize(allowTo({ paths: ['/data'] }), request({ path: '/data?x=1' })).decision, 'allow');
    assert.equal(authorize(allowTo({ paths: ['*.png'] }), request({ path: '/a/b.png' })).decision, 'allow');
    assert.equal(authorize(allowTo({ notPaths: ['/admin*'] }), request({ path: '/admin/users' })).decision, 'deny');
  });
  test('path templates: {*} one segment, {**} one or more, no operator after {**}', () => {
    assert.equal(matchPathTemplate('/api/{*}/orders', '/api/u1/orders'), true);
    assert.equal(matchPathTemplate('/api/{*}/orders', '/api/u1/x/orders'), false);
    assert.equal(matchPathTemplate('/api/{*}/orders', '/api//orders'), false);
    assert.equal(matchPathTemplate('/files/{**}', '/files/a/b/c.txt'), true);
    assert.equal(matchPathTemplate('/files/{**}', '/files/'), false);
    assert.equal(matchPathTemplate('/a.b/{*}', '/aXb/c'), false);
    assert.match(pathTemplateProblem('/files/{**}/{*}') ?? '', /last operator/);
    assert.equal(pathTemplateProblem('/{**}/path/template'), undefined);
    assert.ok(matchPathTemplate('/{**}/path/template', '/a/b/path/template'));
    assert.ok(!matchPathTemplate('/{**}/path/template', '/path/template'));
    assert.equal(matchPathTemplate('/files/{**}/x', '/files/a/x'), true);
    assert.equal(authorize(allowTo({ paths: ['/users/{*}/profile'] }), request({ path: '/users/42/profile?full=1' })).decision, 'allow');
  });
  test('when: headers, source.ip, source.namespace, source.principal, destination.port', () => {
    const when = (key: string, values?: string[], notValues?: string[]) => [
      policy('default/p', 'ALLOW', [{ when: [{ key, ...(values ? { values } : {}), ...(notValues ? { notValues } : {}) }] }]),
    ];
    assert.equal(authorize(when('request.headers[x-token]', ['abc*']), request({ headers: { 'x-token': 'abc123' } })).decision, 'allow');
    assert.equal(authorize(when('request.headers[x-token]', ['*']), request()).decision, 'deny');
    assert.equal(authorize(when('request.headers[x-token]', undefined, ['bad']), request()).decision, 'allow');
    assert.equal(authorize(when('source.ip', ['10.0.0.0/8']), sleep).decision, 'allow');
    assert.equal(authorize(when('source.namespace', ['default']), sleep).decision, 'allow');
    assert.equal(authorize(when('source.principal', ['cluster.local/ns/default/sa/sleep']), sleep).decision, 'allow');
    assert.equal(authorize(when('destination.port', ['9080']), request()).decision, 'allow');
    assert.equal(authorize(when('destination.port', ['8080']), request()).decision, 'deny');
  });
  test('no JWT support, fail-safe: an ALLOW rule on request.auth / requestPrincipals never matches', () => {
    const p = [policy('default/jwt', 'ALLOW', [{ from: [{ source: { requestPrincipals: ['*'] } }] }, { when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }])];
    assert.equal(authorize(p, sleep).decision, 'deny');
    const mixed = [policy('default/jwt', 'ALLOW', [{ from: [{ source: { notRequestPrincipals: ['*'] } }, { source: { principals: ['*'] } }] }])];
    assert.equal(authorize(mixed, sleep).decision, 'deny', 'the whole rule is dropped, not just the JWT source');
  });
  test('no JWT support, fail-safe: in DENY the request.auth attribute is ignored (denies more)', () => {
    const p = [policy('default/jwt', 'DENY', [{ to: [{ operation: { paths: ['/admin*'] } }], when: [{ key: 'request.auth.claims[role]', notValues: ['admin'] }] }])];
    assert.equal(authorize(p, request({ path: '/admin/x' })).decision, 'deny');
    assert.equal(authorize(p, request({ path: '/public' })).decision, 'allow');
    const noJwt = [policy('default/require-jwt', 'DENY', [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }])];
    assert.equal(authorize(noJwt, sleep).decision, 'deny');
  });
});
