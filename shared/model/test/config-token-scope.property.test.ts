import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_NAMESPACES, configVerbs, decodeConfigTokenScope, firstDenied, scopeAllows } from '../src/config-token-scope.js';

const namespace = fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/);
const verb = fc.constantFrom(...configVerbs);
const scope = fc.record({
  namespaces: fc.uniqueArray(fc.oneof(namespace, fc.constant(ALL_NAMESPACES)), { minLength: 1, maxLength: 4 }),
  verbs: fc.uniqueArray(verb, { minLength: 1, maxLength: 3 }),
});

test('config-token-scope.property: a verb outside the token is never allowed, in any namespace', () => {
  fc.assert(fc.property(scope, verb, fc.oneof(namespace, fc.constant(ALL_NAMESPACES)), (s, v, ns) => s.verbs.includes(v) || !scopeAllows(s, v, ns)));
});

test('config-token-scope.property: only a * token may act on all namespaces; it may act in every one', () => {
  fc.assert(
    fc.property(scope, verb, namespace, (s, v, ns) => {
      const wildcard = s.namespaces.includes(ALL_NAMESPACES);
      assert.equal(scopeAllows(s, v, ALL_NAMESPACES), wildcard && s.verbs.includes(v));
      if (wildcard) assert.equal(scopeAllows(s, v, ns), s.verbs.includes(v));
      else assert.equal(scopeAllows(s, v, ns), s.verbs.includes(v) && s.namespaces.includes(ns));
    }),
  );
});

test('config-token-scope.property: firstDenied names the first refused pair, in request order', () => {
  fc.assert(
    fc.property(scope, fc.array(fc.record({ verb, namespace }), { maxLength: 6 }), (s, wanted) => {
      const denied = firstDenied(s, wanted);
      const expected = wanted.find((w) => !scopeAllows(s, w.verb, w.namespace));
      assert.deepEqual(denied, expected);
    }),
  );
});

test('config-token-scope: claims with an unknown verb or no namespaces are refused with their path', () => {
  const bad = decodeConfigTokenScope({ namespaces: [], verbs: ['write'] });
  assert.equal(bad._tag, 'Left');
  if (bad._tag === 'Left') assert.deepEqual(bad.left.map((e) => e.path).sort(), ['namespaces', 'verbs[0]']);
});
