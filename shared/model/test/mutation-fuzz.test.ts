import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  ChangeSetCodec,
  GENESIS_HASH,
  analyzeMesh,
  decodeChangeSet,
  decodeResource,
  emptyMeshState,
  encodeResource,
  formatInvalid,
  type ChangeSet,
  type MeshResource,
} from '../src/index.js';
import { anyKindDoc, authorizationPolicyDoc, gatewayDoc, peerAuthenticationDoc, requestAuthenticationDoc, sidecarDoc, workloadGroupDoc } from './kind-arbitraries.js';
import type { IstioDocument } from './arbitraries.js';
import { mutatedFrom } from './json-mutation.js';

/*
 * Mutation fuzzing: take a valid document, break one thing anywhere in it (json-mutation.ts: drop,
 * null or empty a field, put a strange value, add an unknown field, repeat an item, …), and check
 * the codec never throws, reports rejections with a path and a reason, and only accepts what
 * round-trips.
 */

const mutated = mutatedFrom(anyKindDoc);

test('mutation.property: a broken document never crashes the codec and every rejection says where and why', () => {
  fc.assert(
    fc.property(mutated, (doc) => {
      const r = decodeResource(doc);
      if (isRight(r)) return;
      assert.ok(r.left.length > 0);
      for (const e of r.left) {
        assert.ok(e.reason.length > 0, formatInvalid(e));
        assert.doesNotMatch(e.path, /undefined|\[object/, formatInvalid(e));
      }
    }),
    { numRuns: 2000 },
  );
});

test('mutation.property: whatever the codec accepts re-encodes to a document it accepts as the same resource', () => {
  fc.assert(
    fc.property(mutated, (doc) => {
      const r = decodeResource(doc);
      if (isLeft(r)) return;
      const again = decodeResource(JSON.parse(JSON.stringify(encodeResource(r.right.resource))) as unknown);
      assert.ok(isRight(again), isLeft(again) ? again.left.map(formatInvalid).join('\n') : '');
      assert.deepStrictEqual(again.right.resource, r.right.resource);
    }),
    { numRuns: 2000 },
  );
});

test('mutation.property: an accepted mutant stored in a ChangeSet is a valid event on the wire', () => {
  fc.assert(
    fc.property(mutated, (doc) => {
      const r = decodeResource(doc);
      if (isLeft(r)) return;
      const cs: ChangeSet = { id: 'cs', type: 'ChangeSet', at: '2024-01-01T00:00:00.000Z', actor: 'fuzz', prev: GENESIS_HASH, changes: [{ op: 'apply', resource: r.right.resource }] };
      const back = decodeChangeSet(JSON.parse(JSON.stringify(ChangeSetCodec.encode(cs))));
      assert.ok(isRight(back), isLeft(back) ? back.left.map(formatInvalid).join('\n') : '');
    }),
    { numRuns: 1000 },
  );
});

test('mutation.property: the analyzers never throw and give the same lines for the same resources in any order', () => {
  fc.assert(
    fc.property(fc.array(mutated, { maxLength: 8 }), (docs) => {
      const resources = docs.flatMap((d): MeshResource[] => {
        const r = decodeResource(d);
        return isRight(r) ? [r.right.resource] : [];
      });
      const forward = analyzeMesh({ state: emptyMeshState, proposed: resources });
      const backward = analyzeMesh({ state: emptyMeshState, proposed: [...resources].reverse() });
      // Order matters only between resources of the same name (the later replaces the earlier).
      const unique = new Set(resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`)).size === resources.length;
      if (unique) assert.deepStrictEqual(forward, backward);
    }),
    { numRuns: 300 },
  );
});

const decodesFor = (kind: string, arb: fc.Arbitrary<IstioDocument>) =>
  test(`codecs.property: every valid ${kind} decodes and encodes back unchanged (decode∘encode = id)`, () => {
    fc.assert(
      fc.property(arb, (doc) => {
        const r = decodeResource(doc);
        assert.ok(isRight(r), isLeft(r) ? `${JSON.stringify(doc)}\n${r.left.map(formatInvalid).join('\n')}` : '');
        assert.deepStrictEqual(encodeResource(r.right.resource), doc);
      }),
    );
  });

decodesFor('Gateway', gatewayDoc);
decodesFor('Sidecar', sidecarDoc);
decodesFor('WorkloadGroup', workloadGroupDoc);
decodesFor('PeerAuthentication', peerAuthenticationDoc);
decodesFor('AuthorizationPolicy', authorizationPolicyDoc);
decodesFor('RequestAuthentication', requestAuthenticationDoc);
