import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isRight, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { ChangeSetCodec, decodeChangeSet, decodeRegistryEvent, decodeResource, ObjectMeta, RegistryEventCodec, ResourceKinds, resourceKindNames } from '../src/index.js';
import { decodeWith, fastDecoderOf, NOT_DECODED, withPathWalkOnly } from '../src/codec/schema.js';
import { hostnameProblem, hostnameReason } from '../src/codec/istio-fields.js';
import { changeSet, registryEvent } from './arbitraries.js';
import { mutatedFrom } from './json-mutation.js';
import { anyKindDoc } from './kind-arbitraries.js';

/*
 * Every kit type decodes a value twice over: a context-free fast decode, and the path walk that
 * names each problem. `validate` runs the fast one and walks only when it fails, so the fast
 * decode must accept exactly what the walk accepts, with the same value (key order included),
 * and the errors a user sees must be those of the walk alone. Checked here on valid documents of
 * all ten kinds and on one-edit mutations of them, at the level of every spec type, the object
 * metadata, whole documents and the events that carry them.
 */

const specTypes = resourceKindNames.map((kind) => [kind, ResourceKinds[kind].spec as unknown as t.Type<unknown, unknown, unknown>] as const);

/** The property itself: fast decode and path walk agree on acceptance and on the value. */
const agrees = (type: t.Decoder<unknown, unknown>, u: unknown, label: string): void => {
  const fast = fastDecoderOf(type)(u);
  const walk = withPathWalkOnly(() => type.decode(u));
  assert.equal(fast !== NOT_DECODED, isRight(walk), `${label}: fast decode ${fast === NOT_DECODED ? 'rejects' : 'accepts'} what the path walk ${isRight(walk) ? 'accepts' : 'rejects'}: ${JSON.stringify(u)}`);
  if (isRight(walk)) {
    assert.deepStrictEqual(fast, walk.right, label);
    assert.equal(JSON.stringify(fast), JSON.stringify(walk.right), `${label}: same key order`);
  }
};

/** What a user sees (every problem, its path and reason) is what the path walk alone reports. */
const sameAnswer = <A>(decode: () => Either<unknown, A>, label: string): void => {
  assert.deepStrictEqual(decode(), withPathWalkOnly(decode), label);
};

const documents = fc.oneof(anyKindDoc, mutatedFrom(anyKindDoc), mutatedFrom(mutatedFrom(anyKindDoc)));
const specOf = (doc: unknown): unknown => (typeof doc === 'object' && doc !== null ? (doc as { spec?: unknown }).spec : undefined);
const metadataOf = (doc: unknown): unknown => (typeof doc === 'object' && doc !== null ? (doc as { metadata?: unknown }).metadata : undefined);

test('kit.fast-decode.property: every spec type accepts exactly what its path walk accepts, as the same value', () => {
  fc.assert(
    fc.property(documents, (doc) => {
      const spec = specOf(doc);
      // Every spec type on every spec: another kind's spec exercises unknown fields and rejections.
      for (const [kind, type] of specTypes) agrees(type, spec, `${kind}Spec`);
      agrees(ObjectMeta, metadataOf(doc), 'ObjectMeta');
    }),
    { numRuns: 1500 },
  );
});

test('kit.fast-decode.property: decoding a document reports exactly the path walk errors, or the same resource', () => {
  fc.assert(
    fc.property(documents, (doc) => sameAnswer(() => decodeResource(doc), JSON.stringify(doc))),
    { numRuns: 1500 },
  );
});

test('kit.fast-decode.property: ChangeSets and registry events, intact or broken, decode as the path walk decodes them', () => {
  const changeSets = changeSet().map((cs) => ChangeSetCodec.encode(cs));
  const events = registryEvent().map((e) => RegistryEventCodec.encode(e));
  fc.assert(
    fc.property(fc.oneof(changeSets, mutatedFrom(changeSets)), fc.oneof(events, mutatedFrom(events)), (cs, e) => {
      agrees(ChangeSetCodec, cs, 'ChangeSet');
      sameAnswer(() => decodeChangeSet(cs), JSON.stringify(cs));
      agrees(RegistryEventCodec, e, 'RegistryEvent');
      sameAnswer(() => decodeRegistryEvent(e), JSON.stringify(e));
    }),
    { numRuns: 500 },
  );
});

test('kit.fast-decode: a null optional field is dropped, an ignored field accepted and dropped, fields come out in declaration order', () => {
  const doc = {
    spec: { exportTo: null, tcp: [{ route: [{ destination: { host: 'db', subset: null } }] }], hosts: ['db'] },
    metadata: { namespace: 'prod', uid: 'x-1', name: 'db', labels: null },
    kind: 'VirtualService',
    apiVersion: 'networking.istio.io/v1',
    status: { anything: true },
  };
  sameAnswer(() => decodeResource(doc), 'reordered document');
  agrees(ResourceKinds.VirtualService.spec, doc.spec, 'VirtualServiceSpec');
  agrees(ObjectMeta, doc.metadata, 'ObjectMeta');
  const r = decodeResource(doc);
  assert.ok(isRight(r));
  assert.equal(JSON.stringify(r.right.resource), '{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"db","namespace":"prod"},"spec":{"hosts":["db"],"tcp":[{"route":[{"destination":{"host":"db"}}]}]}}');
});

test('kit.fast-decode: a `__proto__` annotation stays an annotation and never becomes a prototype', () => {
  const metadata = JSON.parse('{"name":"a","annotations":{"__proto__":"x","app":"a"}}') as unknown;
  agrees(ObjectMeta, metadata, 'ObjectMeta');
  const r = decodeWith(ObjectMeta, metadata);
  assert.ok(isRight(r));
  assert.deepStrictEqual(Object.keys(r.right.annotations ?? {}), ['__proto__', 'app']);
  assert.equal(Object.getPrototypeOf(r.right.annotations), Object.prototype);
});

test('kit.fast-decode: values JSON cannot express are decoded by the path walk, or fast to the same value', () => {
  const sparse: unknown[] = ['a.example.com'];
  sparse[2] = 'b.example.com';
  const withExtra = Object.assign(['a.example.com'], { extra: 1 });
  const bare = Object.assign(Object.create(null) as object, { hosts: ['a.example.com'], tcp: [{ route: [{ destination: { host: 'a' } }] }] });
  const symbolKeyed = { hosts: ['a.example.com'], tcp: [{ route: [{ destination: { host: 'a' } }] }], [Symbol('s')]: 1 };
  const undefinedField = { hosts: ['a.example.com'], tcp: [{ route: [{ destination: { host: 'a' } }] }], gateways: undefined };
  const inherited = Object.assign(Object.create({ gateways: ['nope/'] }) as object, { hosts: ['a.example.com'], tcp: [{ route: [{ destination: { host: 'a' } }] }] });
  const spec = ResourceKinds.VirtualService.spec;
  for (const [label, u] of Object.entries({ sparse: { hosts: sparse, tcp: [{ route: [{ destination: { host: 'a' } }] }] }, withExtra: { hosts: withExtra, tcp: [{ route: [{ destination: { host: 'a' } }] }] }, bare, symbolKeyed, undefinedField, inherited })) {
    const fast = fastDecoderOf(spec)(u);
    const walk = withPathWalkOnly(() => spec.decode(u));
    if (fast !== NOT_DECODED) {
      assert.ok(isRight(walk), `${label}: fast decode accepted what the path walk rejects`);
      assert.deepStrictEqual(fast, walk.right, label);
    }
    assert.deepStrictEqual(spec.decode(u), walk, label);
  }
});

test('kit.fast-decode.property: the one-pass hostname check gives exactly the label-by-label answer', () => {
  const label = fc.oneof(
    fc.stringMatching(/^[-A-Za-z0-9*_]{0,6}$/),
    fc.constantFrom('*', '', '-', 'a-', '-a', '0', '123', 'x'.repeat(63), 'x'.repeat(64), `a${'-'.repeat(61)}b`),
  );
  const name = fc.oneof(
    fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.')),
    fc.constantFrom('*', '*.', '.', '..', '*.*', `${'a.'.repeat(127)}a`, `${'a.'.repeat(128)}a`, '10.0.0.1', 'svc.123', '*.123'),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(fc.property(name, (h) => assert.equal(hostnameReason(h), hostnameProblem(h), JSON.stringify(h))), { numRuns: 5000 });
});

test('kit.negative-zero: -0 decodes as 0 on both paths, so a live state equals its own replay from JSON', () => {
  const doc = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'r', namespace: 'default' },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' }, weight: -0 }] }] },
  };
  const weightOf = (r: ReturnType<typeof decodeResource>): unknown => {
    assert.ok(isRight(r), JSON.stringify(r));
    return (r.right.resource.spec as { http: Array<{ route: Array<{ weight: number }> }> }).http[0]?.route[0]?.weight;
  };
  for (const [label, decoded] of [
    ['fast', decodeResource(doc)],
    ['walk', withPathWalkOnly(() => decodeResource(doc))],
  ] as const) {
    assert.ok(Object.is(weightOf(decoded), 0), `${label}: weight is +0`);
    assert.deepStrictEqual(decoded, decodeResource(JSON.parse(JSON.stringify(doc))), `${label}: equals the decode of its stored form`);
  }
});
