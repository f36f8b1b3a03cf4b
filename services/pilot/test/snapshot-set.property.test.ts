import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, configLogEvent, contentHash, decodeResource, emptyMeshState, GENESIS_HASH, registryLogEvent, replay, type Change, type LogEvent, type MeshState } from '@jetmesh/model';
import { sameJson } from '../src/same-json.js';
import { deriveSnapshotSet, type SnapshotSet } from '../src/snapshot-set.js';

/*
 * The speed paths of deriveSnapshotSet (carry a snapshot's hash when it is derived again equal,
 * compare instead of hashing) give exactly what a full derivation of the same state gives.
 */

const SERVICES = ['a', 'b', 'c'];
const VERSIONS = ['v1', 'v2'];
const NAMESPACE = 'default';

const resourceOf = (doc: unknown) => {
  const r = decodeResource(doc);
  if (r._tag === 'Left') throw new Error(`fixture does not decode: ${JSON.stringify(r.left)}`);
  return r.right.resource;
};
const meta = (name: string) => ({ name, namespace: NAMESPACE });

/** One change of a small mesh where every kind that shapes host or workload snapshots can move. */
const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ s: fc.constantFrom(...SERVICES), port: fc.constantFrom(8080, 9090) }).map(({ s, port }) => ({
    op: 'apply' as const,
    resource: resourceOf({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(s), spec: { hosts: [s], ports: [{ number: port, name: 'grpc' }], workloadSelector: { labels: { app: s } } } }),
  })),
  fc.record({ s: fc.constantFrom(...SERVICES), to: fc.constantFrom(...SERVICES), w: fc.integer({ min: 0, max: 100 }) }).map(({ s, to, w }) => ({
    op: 'apply' as const,
    resource: resourceOf({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta(s),
      spec: { hosts: [s], http: [{ route: [{ destination: { host: to, subset: 'v1' }, weight: 100 - w }, { destination: { host: to, subset: 'v2' }, weight: w }] }] },
    }),
  })),
  fc.record({ s: fc.constantFrom(...SERVICES), lb: fc.constantFrom('ROUND_ROBIN', 'LEAST_REQUEST') }).map(({ s, lb }) => ({
    op: 'apply' as const,
    resource: resourceOf({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: meta(s),
      spec: { host: s, trafficPolicy: { loadBalancer: { simple: lb } }, subsets: VERSIONS.map((v) => ({ name: v, labels: { version: v } })) },
    }),
  })),
  fc.record({ s: fc.constantFrom(...SERVICES), v: fc.constantFrom(...VERSIONS), octet: fc.integer({ min: 1, max: 3 }) }).map(({ s, v, octet }) => ({
    op: 'apply' as const,
    resource: resourceOf({ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: meta(`${s}-${v}`), spec: { address: `10.0.0.${octet}`, ports: { grpc: 8080 }, labels: { app: s, version: v } } }),
  })),
  fc.record({ s: fc.option(fc.constantFrom(...SERVICES), { nil: undefined }), mode: fc.constantFrom('STRICT', 'PERMISSIVE', 'DISABLE') }).map(({ s, mode }) => ({
    op: 'apply' as const,
    resource: resourceOf({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: meta(s ?? 'default'),
      spec: { ...(s !== undefined ? { selector: { matchLabels: { app: s } } } : {}), mtls: { mode } },
    }),
  })),
  fc.record({ s: fc.constantFrom(...SERVICES), kind: fc.constantFrom('VirtualService', 'DestinationRule', 'ServiceEntry') }).map(({ s, kind }) => ({
    op: 'delete' as const,
    ref: { kind, namespace: NAMESPACE, name: s },
  })) as fc.Arbitrary<Change>,
);

/** A registry event: a workload of some service registered (with a version label) or removed. */
const registration = fc.record({ s: fc.constantFrom(...SERVICES), n: fc.integer({ min: 0, max: 2 }), v: fc.option(fc.constantFrom(...VERSIONS), { nil: undefined }) });

type Step = { readonly kind: 'config'; readonly changes: Change[] } | { readonly kind: 'registry'; readonly s: string; readonly n: number; readonly v: string | undefined };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => ({ kind: 'config' as const, changes })),
  registration.map((r) => ({ kind: 'registry' as const, ...r })),
);

/** Folds one step the way pilot does; a ChangeSet galley would refuse (a delete of nothing) still folds to a valid state. */
const fold = (state: MeshState, s: Step, seq: number): MeshState => {
  const event: LogEvent =
    s.kind === 'config'
      ? configLogEvent(seq, { id: `cs-${seq}`, type: 'ChangeSet', at: new Date(1_700_000_000_000 + seq * 1000).toISOString(), actor: 'prop', prev: GENESIS_HASH, changes: s.changes })
      : registryLogEvent(
          seq,
          s.v === undefined
            ? { id: `r-${seq}`, type: 'WorkloadRemoved', at: new Date(1_700_000_000_000 + seq * 1000).toISOString(), actor: 'prop', namespace: NAMESPACE, name: `${s.s}-pod-${s.n}` }
            : {
                id: `r-${seq}`,
                type: 'WorkloadRegistered',
                at: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
                actor: 'prop',
                namespace: NAMESPACE,
                name: `${s.s}-pod-${s.n}`,
                workload: { address: `10.1.0.${s.n + 1}`, ports: { grpc: 8080 }, labels: { app: s.s, version: s.v } },
              },
        );
  return replay(state, [event]);
};

/** What a set serves: every snapshot by key with its hash, and the rejected keys. */
const served = (set: SnapshotSet) => ({
  hosts: [...set.snapshots].map(([h, s]) => [h, s.contentHash, canonicalJson(s.snapshot), s.version] as const),
  rejected: [...set.rejected.keys()],
  workloads: [...set.workloads].map(([k, s]) => [k, s.contentHash, canonicalJson(s.snapshot), s.version] as const),
  rejectedWorkloads: [...set.rejectedWorkloads.keys()],
});

test('snapshot-set.property: step-by-step sets (hashes carried when derived again equal) serve exactly what a full derivation of each state serves', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 14 }), (steps) => {
      let state = emptyMeshState;
      let set = deriveSnapshotSet(state);
      steps.forEach((s, i) => {
        state = fold(state, s, i + 1);
        set = deriveSnapshotSet(state, set);
        const full = deriveSnapshotSet(state);
        assert.deepEqual(served(set), served(full));
        for (const [, v] of [...set.snapshots, ...set.workloads]) assert.equal(v.contentHash, contentHash(v.snapshot));
      });
    }),
    { numRuns: 150 },
  );
});

/** JSON-like data with undefined members sprinkled in (dropped by canonical JSON). */
const data = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', ''), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(fc.constantFrom('x', 'y', 'z', 'w'), fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 4 }),
})).value;

/** The same data rebuilt with every object's keys in reverse order. */
const reordered = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(reordered);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)]));
  return v;
};

test('same-json.property: values it calls the same have the same canonical JSON, and data rebuilt in another key order is the same', () => {
  fc.assert(
    fc.property(data, data, (a, b) => {
      if (sameJson(a, b)) assert.equal(canonicalJson(a), canonicalJson(b));
      assert.equal(sameJson(a, b), canonicalJson(a) === canonicalJson(b));
      assert.ok(sameJson(a, reordered(a)));
    }),
    { numRuns: 2000 },
  );
  assert.equal(sameJson(new Date(0), new Date(0)), false, 'not plain data: not proven equal');
  assert.equal(sameJson({ a: 1, b: undefined }, { a: 1 }), true);
  assert.equal(sameJson([1, 2], { 0: 1, 1: 2 }), false);
});
