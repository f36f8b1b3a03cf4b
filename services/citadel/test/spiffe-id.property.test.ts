import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSpiffeId, spiffeId } from '@jetmesh/model';

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const subdomain = fc.array(label, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const trustDomain = fc.stringMatching(/^[a-z0-9._-]{1,30}$/);

describe('spiffe-id.properties', () => {
  test('spiffe-id.properties: every valid identity formats and parses back to itself', () => {
    fc.assert(
      fc.property(trustDomain, label, subdomain, (td, ns, sa) => {
        const id = { trustDomain: td, namespace: ns, serviceAccount: sa };
        const parsed = parseSpiffeId(spiffeId(id));
        assert.deepEqual(parsed, { _tag: 'Right', right: id });
      }),
    );
  });

  test('spiffe-id.properties: anything with a query, fragment, extra segment or uppercase is refused', () => {
    fc.assert(
      fc.property(label, label, fc.constantFrom('?x=1', '#f', '/extra', '/'), (ns, sa, suffix) => parseSpiffeId(`spiffe://cluster.local/ns/${ns}/sa/${sa}${suffix}`)._tag === 'Left'),
    );
    assert.equal(parseSpiffeId('spiffe://Cluster.local/ns/a/sa/b')._tag, 'Left');
    assert.equal(parseSpiffeId('SPIFFE://cluster.local/ns/a/sa/b')._tag, 'Left');
    assert.equal(parseSpiffeId('spiffe://cluster.local/ns/a/sa/B')._tag, 'Left');
  });
});
