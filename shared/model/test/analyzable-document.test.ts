import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { analyzeMesh, decodeAnalyzable, decodeResource, emptyMeshState, encodeResource, formatDiagnostic, formatInvalid, refOf } from '../src/index.js';
import { anyKindDoc } from './kind-arbitraries.js';
import { mutatedFrom } from './json-mutation.js';

/*
 * `analyze` reads a document validation refuses as far as its shape goes (istioctl analyze runs
 * its analyzers over such documents and reports the refusal as IST0106). The strict decode stays
 * the reference: a valid document reads exactly as decodeResource reads it.
 */

const mutated = mutatedFrom(anyKindDoc);

const lines = (yamlLike: Record<string, unknown>[]): string[] => {
  const read = yamlLike.map((d) => decodeAnalyzable(d, 'default'));
  const docs = read.flatMap((r) => (isRight(r) ? [r.right] : []));
  return analyzeMesh({
    state: emptyMeshState,
    proposed: docs.map((d) => d.resource),
    refusals: docs.filter((d) => d.problems.length > 0).map((d) => ({ ref: refOf(d.resource), problems: d.problems })),
  }).map((d) => formatDiagnostic(d));
};

test('analyzable.property: a valid document reads as decodeResource reads it, with no problems', () => {
  fc.assert(
    fc.property(anyKindDoc, (doc) => {
      const strict = decodeResource(doc, 'default');
      const read = decodeAnalyzable(doc, 'default');
      assert.ok(isRight(strict) && isRight(read));
      assert.deepStrictEqual(read.right, { resource: strict.right.resource, problems: [] });
    }),
    { numRuns: 500 },
  );
});

test('analyzable.property: any broken document either reads with exactly the strict refusal as its problems or is refused as strictly, and analysis of it never throws', () => {
  fc.assert(
    fc.property(mutated, (doc) => {
      const strict = decodeResource(doc, 'default');
      const read = decodeAnalyzable(doc, 'default');
      if (isRight(strict)) {
        assert.ok(isRight(read));
        assert.deepStrictEqual(read.right.problems, []);
        return;
      }
      if (isLeft(read)) {
        assert.deepStrictEqual(read.left, strict.left);
        return;
      }
      assert.deepStrictEqual(read.right.problems, strict.left);
      assert.notEqual(read.right.resource.metadata.name, '');
      // What is read is a value the encoder and every analyzer take.
      encodeResource(read.right.resource);
      const found = analyzeMesh({ state: emptyMeshState, proposed: [read.right.resource], refusals: [{ ref: refOf(read.right.resource), problems: read.right.problems }] });
      assert.deepStrictEqual(
        found.filter((d) => d.code === 'IST0106').map((d) => d.message).sort(),
        strict.left.map((p) => `Schema validation error: ${formatInvalid(p)}`).sort(),
      );
    }),
    { numRuns: 2000 },
  );
});

test('analyzable: a Gateway without servers is still analyzed: the refusal as IST0106, its selector as IST0101', () => {
  const gateway = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw' }, spec: { selector: { istio: 'ingresstypo' } } };
  assert.deepEqual(lines([gateway]), [
    'Warning [IST0101] (Gateway default/gw) Referenced selector not found: "istio=ingresstypo"',
    'Error [IST0106] (Gateway default/gw) Schema validation error: spec.servers: required',
  ]);
});

test('analyzable: a route without destination reads as Istio reads it, a destination to host "" (not found), beside the rest of the rule', () => {
  const route = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews' },
    spec: { hosts: ['reviews'], http: [{ route: [{}, { destination: { host: 'reviews-bogus' } }] }] },
  };
  assert.deepEqual(lines([route]), [
    'Error [IST0106] (VirtualService default/reviews) Schema validation error: spec.http[0].route[0].destination: required',
    'Warning [IST0101] (VirtualService default/reviews) Referenced host not found: ""',
    'Warning [IST0101] (VirtualService default/reviews) Referenced host not found: "reviews-bogus"',
  ]);
});

test('analyzable: what cannot be read at all (an unknown kind, no name) is refused with the strict errors', () => {
  const unknown = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualRoute', metadata: { name: 'x' }, spec: {} };
  const nameless = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: {}, spec: {} };
  for (const doc of [unknown, nameless]) {
    const read = decodeAnalyzable(doc, 'default');
    const strict = decodeResource(doc, 'default');
    assert.ok(isLeft(read) && isLeft(strict));
    assert.deepStrictEqual(read.left, strict.left);
  }
});
