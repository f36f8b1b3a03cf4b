import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { preflight, responseHeaders, type CorsPolicy } from '../src/routing/index.js';
import { request } from './routing-fixtures.js';

const policy: CorsPolicy = {
  allowOrigins: [{ exact: 'https://example.com' }, { regex: 'https://.*\\.example\\.org' }],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['x-custom', 'content-type'],
  exposeHeaders: ['x-trace'],
  maxAge: '24h',
  allowCredentials: true,
};
const pre = (origin: string) => request({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });

describe('routing: CORS', () => {
  test('a preflight from an allowed origin is answered 200 with the policy', () => {
    assert.deepEqual(preflight(policy, pre('https://a.example.org')), {
      status: 200,
      headers: {
        'access-control-allow-origin': 'https://a.example.org',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET,POST',
        'access-control-allow-headers': 'x-custom,content-type',
        'access-control-max-age': '86400',
      },
    });
  });
  test('an unmatched preflight goes upstream by default (FORWARD), is answered bare with IGNORE', () => {
    assert.equal(preflight(policy, pre('https://evil.com')), undefined);
    assert.deepEqual(preflight({ ...policy, unmatchedPreflights: 'IGNORE' }, pre('https://evil.com')), { status: 200, headers: {} });
  });
  test('OPTIONS without Access-Control-Request-Method is no preflight', () => {
    assert.equal(preflight(policy, request({ method: 'OPTIONS', headers: { origin: 'https://example.com' } })), undefined);
  });
  test('an actual request from an allowed origin gets allow-origin, credentials and expose headers', () => {
    assert.deepEqual(responseHeaders(policy, request({ headers: { origin: 'https://example.com' } })), {
      'access-control-allow-origin': 'https://example.com',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-trace',
    });
    assert.deepEqual(responseHeaders(policy, request({ headers: { origin: 'https://example.com.evil' } })), {});
    assert.deepEqual(responseHeaders(policy, request()), {});
  });
  test('the deprecated allowOrigin list: exact strings, * for any', () => {
    assert.ok(preflight({ allowOrigin: ['*'] }, pre('https://anything')));
    assert.equal(preflight({ allowOrigin: ['https://x'] }, pre('https://y')), undefined);
  });
});
