import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  type MeshState,
  canonicalJson,
  contentHash,
  decodeVersionedRoutingSnapshot,
  decodeVersionedWorkloadSnapshot,
  deriveSnapshots,
  deriveWorkloadSnapshots,
  replay,
  emptyMeshState,
} from '../src/index.js';
import { twoStreams, virtualServiceDoc, mesh } from './arbitraries.js';
import { authorizationPolicyDoc, gatewayDoc, peerAuthenticationDoc } from './kind-arbitraries.js';
import { type IstioDocument } from './arbitraries.js';
import { type ChangeSetBody, applying, chainConfigLog, mustDecode } from './event-log.js';
import { type Json, MUTATIONS, mutate, strangeValue } from './json-mutation.js';

/** ChangeSets appended to the config log `state` has folded. */
const chainConfigLogFrom = (state: MeshState, bodies: readonly ChangeSetBody[]) => chainConfigLog(bodies, state.configSeq + 1, state.lastChangeSetHash);

/** Security and gateway documents aimed at the mesh vocabulary's workloads, and VirtualServices bound to a gateway `gw`. */
const aimed = (d: IstioDocument): IstioDocument => {
  const spec = { ...d.spec };
  const namespace = ['default', 'prod', 'istio-system'].includes(d.metadata.namespace) ? d.metadata.namespace : 'default';
  if (d.kind === 'Gateway') return { ...d, metadata: { ...d.metadata, name: 'gw', namespace }, spec: { ...spec, selector: { app: 'reviews' } } };
  if (spec.selector !== undefined) spec.selector = { matchLabels: { app: 'reviews' } };
  return { ...d, metadata: { ...d.metadata, namespace }, spec };
};
const extraDoc = fc.oneof(
  fc.oneof(gatewayDoc, peerAuthenticationDoc, authorizationPolicyDoc).map(aimed),
  fc.tuple(virtualServiceDoc(mesh), fc.constantFrom(['gw'], ['istio-system/gw', 'mesh'], ['prod/gw'])).map(([d, gateways]) => (d.spec.hosts === undefined ? d : { ...d, spec: { ...d.spec, gateways } })),
);

/** Any state of the routing arbitraries, then gateways, policies and gateway-bound VirtualServices on top. */
const anyState: fc.Arbitrary<MeshState> = fc
  .tuple(twoStreams(), fc.array(fc.array(extraDoc, { minLength: 1, maxLength: 4 }), { maxLength: 3 }))
  .map(([{ merged }, extra]) => {
    const base = replay(emptyMeshState, merged);
    return replay(base, chainConfigLogFrom(base, extra.map((docs) => applying(docs.map((d) => mustDecode(d))))));
  });

const versioned = <S>(state: MeshState, snapshot: S) => ({ version: { config: state.configSeq, registry: state.registrySeq }, contentHash: contentHash(snapshot), snapshot });
const overTheWire = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;
const splitKey = (key: string) => ({ namespace: key.slice(0, key.indexOf('/')), name: key.slice(key.indexOf('/') + 1) });

test('snapshot.codec.property: every derived snapshot decodes back equal after JSON', () => {
  let workloads = 0;
  let tables = 0;
  fc.assert(
    fc.property(anyState, (state) => {
      for (const [host, snapshot] of deriveSnapshots(state)) {
        const wire = overTheWire(versioned(state, snapshot));
        const decoded = decodeVersionedRoutingSnapshot(wire, host);
        assert.ok(isRight(decoded), `${host}: ${isLeft(decoded) ? decoded.left.join('\n') : ''}`);
        assert.deepStrictEqual(decoded.right, wire);
      }
      for (const [key, snapshot] of deriveWorkloadSnapshots(state)) {
        workloads += 1;
        tables += snapshot.gateways.reduce((n, g) => n + g.routeTables.length, 0);
        const wire = overTheWire(versioned(state, snapshot));
        const decoded = decodeVersionedWorkloadSnapshot(wire, splitKey(key));
        assert.ok(isRight(decoded), `${key}: ${isLeft(decoded) ? decoded.left.join('\n') : ''}`);
        assert.deepStrictEqual(decoded.right, wire);
      }
    }),
    { numRuns: 200 },
  );
  // The property means little if the states never produce workloads with gateway routes.
  assert.ok(workloads > 50 && tables > 0, `${workloads} workloads, ${tables} route tables`);
});

test('snapshot.codec.property: a value changed anywhere in its content or hash is refused', () => {
  fc.assert(
    fc.property(anyState, fc.nat(), fc.constantFrom(...MUTATIONS), strangeValue, fc.boolean(), (state, pick, how, value, workload) => {
      const entries = workload ? [...deriveWorkloadSnapshots(state)] : [...deriveSnapshots(state)];
      fc.pre(entries.length > 0);
      const [key, snapshot] = entries[pick % entries.length]!;
      const wire = overTheWire(versioned(state, snapshot)) as { snapshot: Json; contentHash: Json; version: Json };
      const target = pick % 2 === 0 ? 'snapshot' : 'contentHash';
      const mutated = { ...wire, [target]: mutate(wire[target], pick, how, value) };
      const accepted = workload ? isRight(decodeVersionedWorkloadSnapshot(mutated, splitKey(key))) : isRight(decodeVersionedRoutingSnapshot(mutated, key));
      if (accepted) {
        // Only a change that is no change (key order) may pass.
        assert.equal(canonicalJson(mutated.snapshot), canonicalJson(wire.snapshot));
        assert.equal(mutated.contentHash, wire.contentHash);
      }
    }),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------------------------------------

const REVIEWS = 'reviews.default.svc.cluster.local';
const bookinfoState = (): MeshState => {
  const doc = (kind: string, name: string, spec: unknown) => mustDecode({ apiVersion: 'networking.istio.io/v1', kind, metadata: { name }, spec });
  return replay(
    emptyMeshState,
    chainConfigLogFrom(emptyMeshState, [
      applying([
        doc('ServiceEntry', 'reviews', { hosts: ['reviews'], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], workloadSelector: { labels: { app: 'reviews' } } }),
        doc('WorkloadEntry', 'reviews-v1', { address: '10.0.0.1', labels: { app: 'reviews', version: 'v1' } }),
        doc('DestinationRule', 'reviews', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }),
        doc('VirtualService', 'reviews', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }], mirror: { host: 'reviews', subset: 'v1' } }] }),
      ]),
    ]),
  );
};

/** The Bookinfo snapshot over the wire, edited by `edit` and re-hashed (so only the check under test can refuse it). */
const edited = (edit: (snapshot: Record<string, unknown>) => void): Json => {
  const state = bookinfoState();
  const wire = overTheWire(versioned(state, deriveSnapshots(state).get(REVIEWS))) as { snapshot: Record<string, unknown> };
  edit(wire.snapshot);
  return overTheWire({ ...wire, contentHash: contentHash(wire.snapshot) });
};
const problems = (u: unknown, host = REVIEWS): string[] => {
  const decoded = decodeVersionedRoutingSnapshot(u, host);
  return isLeft(decoded) ? decoded.left : [];
};
type Route = { destinations: Array<Record<string, unknown>>; mirrors: Array<Record<string, unknown>> };

test('snapshot.codec: the Bookinfo snapshot decodes; one stored under another host is refused', () => {
  assert.deepEqual(problems(edited(() => undefined)), []);
  assert.deepEqual(problems(edited(() => undefined), 'ratings.default.svc.cluster.local'), [`snapshot.host: snapshot is for ${REVIEWS}, stored as ratings.default.svc.cluster.local`]);
});

test('snapshot.codec: every shape problem is named by its path, all at once', () => {
  const broken = edited((s) => {
    const route = (s.routes as Route[])[0]!;
    route.destinations[0]!.weight = 'heavy';
    delete route.destinations[0]!.cluster;
    (s.endpoints as Array<Record<string, unknown>>)[0]!.port = 70000;
    route.mirrors[0]!.percentage = '100';
  });
  assert.deepEqual(problems(broken).sort(), [
    'snapshot.endpoints[0].port: must be a port number (0: none)',
    'snapshot.routes[0].destinations[0].cluster: required',
    'snapshot.routes[0].destinations[0].weight: must be a number',
    'snapshot.routes[0].mirrors[0].percentage: must be a number',
  ]);
});

test('snapshot.codec: consistency rules refuse a wrong cluster name, a negative weight and a mirror above 100%', () => {
  const broken = edited((s) => {
    const route = (s.routes as Route[])[0]!;
    route.destinations[0]!.cluster = `outbound|9080|v2|${REVIEWS}`;
    route.destinations[0]!.weight = -1;
    route.mirrors[0]!.percentage = 150;
  });
  assert.deepEqual(problems(broken), [
    `snapshot.routes[0].destinations[0].cluster: is outbound|9080|v2|${REVIEWS}, expected outbound|9080|v1|${REVIEWS}`,
    'snapshot.routes[0].destinations[0].weight: must be >= 0, got -1',
    'snapshot.routes[0].mirrors[0].percentage: must be within 0..100, got 150',
  ]);
});

test('snapshot.codec: Istio fields inside are checked by their own codecs (a regex galley would refuse is refused here)', () => {
  const broken = edited((s) => {
    (s.routes as Array<Record<string, unknown>>)[0]!.match = [{ uri: { regex: '(' } }];
  });
  assert.deepEqual(problems(broken), ['snapshot.routes[0].match[0].uri.regex: error parsing regexp: missing closing ): `(`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)']);
});

test('snapshot.codec: content that does not hash to contentHash is refused; unknown fields from a newer pilot are dropped', () => {
  const state = bookinfoState();
  const wire = overTheWire(versioned(state, deriveSnapshots(state).get(REVIEWS))) as { snapshot: Record<string, unknown> };
  const tampered = { ...wire, snapshot: { ...wire.snapshot, warnings: ['hello'] } };
  assert.match(problems(tampered).join(), /^contentHash: is [0-9a-f]{64}, the snapshot hashes to [0-9a-f]{64}$/);
  const newer = { ...wire, snapshot: { ...wire.snapshot, futureField: { x: 1 } } };
  const decoded = decodeVersionedRoutingSnapshot({ ...newer, contentHash: contentHash(newer.snapshot) }, REVIEWS);
  assert.ok(isRight(decoded));
  assert.equal((decoded.right.snapshot as unknown as Record<string, unknown>).futureField, undefined);
});

test('snapshot.codec: a workload snapshot stored under another workload, or with an out-of-order policy list, is refused', () => {
  const state = replay(bookinfoState(), chainConfigLogFrom(bookinfoState(), [
    applying([
      mustDecode({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'a', namespace: 'istio-system' }, spec: {} }),
      mustDecode({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'b' }, spec: {} }),
    ]),
  ]));
  const snapshot = deriveWorkloadSnapshots(state).get('default/reviews-v1');
  assert.ok(snapshot);
  const wire = overTheWire(versioned(state, snapshot));
  assert.ok(isRight(decodeVersionedWorkloadSnapshot(wire, { namespace: 'default', name: 'reviews-v1' })));
  const other = decodeVersionedWorkloadSnapshot(wire, { namespace: 'default', name: 'reviews-v2' });
  assert.deepEqual(isLeft(other) && other.left, ['snapshot.workload: snapshot is for default/reviews-v1, stored as default/reviews-v2']);
  const swapped = { ...snapshot, authorization: [...snapshot.authorization].reverse() };
  const refused = decodeVersionedWorkloadSnapshot(overTheWire(versioned(state, swapped)), { namespace: 'default', name: 'reviews-v1' });
  assert.deepEqual(isLeft(refused) && refused.left, ['snapshot.authorization[1].source: istio-system/a is out of order after default/b']);
});
