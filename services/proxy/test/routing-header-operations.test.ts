import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyHeaderOperations, authorityRewrite, requestHeaderOperations, responseHeaderOperations } from '../src/routing/index.js';

describe('routing: header operations', () => {
  test('remove, then set replaces, then add appends', () => {
    const out = applyHeaderOperations({ 'x-a': '1', 'x-b': '2', 'x-c': '3' }, { remove: ['X-C'], set: { 'x-a': 'one' }, add: { 'x-b': 'two', 'x-d': '4' } });
    assert.deepEqual(out, { 'x-a': 'one', 'x-b': ['2', 'two'], 'x-d': '4' });
  });
  test('destination level then route level (Envoy default): the route wins on a conflicting set', () => {
    const route = { request: { set: { 'x-level': 'route' } }, response: { remove: ['server'] } };
    const dest = { request: { set: { 'x-level': 'destination', 'x-dest': 'v2' } }, response: { add: { 'x-from': 'v2' } } };
    assert.deepEqual(applyHeaderOperations({}, ...requestHeaderOperations(route, dest)), { 'x-level': 'route', 'x-dest': 'v2' });
    assert.deepEqual(applyHeaderOperations({ server: 'envoy' }, ...responseHeaderOperations(route, dest)), { 'x-from': 'v2' });
  });
  test('a host / :authority set is an authority rewrite; set wins over add', () => {
    assert.equal(authorityRewrite({ add: { host: 'a' }, set: { ':authority': 'b' } }), 'b');
    assert.equal(authorityRewrite({ set: { 'x-y': 'z' } }), undefined);
  });
  test('property: the input map is never modified, and set then remove leaves the header out', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z_]{1,9}$/), fc.string()), fc.stringMatching(/^[a-z]{1,6}$/), fc.string(), (headers, name, value) => {
        const before = JSON.stringify(Object.entries(headers));
        const out = applyHeaderOperations(headers, { set: { [name]: value } }, { remove: [name] });
        assert.equal(JSON.stringify(Object.entries(headers)), before);
        assert.equal(Object.prototype.hasOwnProperty.call(out, name), false);
      }),
    );
  });
});
