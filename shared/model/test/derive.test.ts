import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import {
  type MeshResource,
  type MeshState,
  type RoutingSnapshot,
  DEFAULT_RETRY_POLICY,
  canonicalJson,
  deriveSnapshots,
  emptyMeshState,
  fqdn,
  outboundClusterName,
  replay,
} from '../src/index.js';
import { twoStreams } from './arbitraries.js';
import { applying, deleting, mustDecode, registryLog, stateAfter } from './event-log.js';

const BOOKINFO = new URL('../../../../examples/bookinfo-reviews.yaml', import.meta.url);
const REVIEWS = 'reviews.default.svc.cluster.local';

/** The example file as `jetmesh apply -n <namespace> -f` reads it. */
const bookinfo = (namespace = 'default'): MeshResource[] =>
  parseAllDocuments(readFileSync(BOOKINFO, 'utf8')).map((d) => {
    assert.deepEqual(d.errors, []);
    return mustDecode(d.toJS(), namespace);
  });

const withoutKind = (rs: MeshResource[], kind: MeshResource['kind']) => rs.filter((r) => r.kind !== kind);

const virtualService = (name: string, http: unknown[], namespace = 'default') =>
  mustDecode({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace }, spec: { hosts: ['reviews'], http } });

const snapshotOf = (state: MeshState, host = REVIEWS): RoutingSnapshot => {
  const s = deriveSnapshots(state).get(host);
  assert.ok(s, `no snapshot for ${host}; have ${[...deriveSnapshots(state).keys()].join(', ')}`);
  return s;
};

const endpoint = (version: 1 | 2 | 3, namespace = 'default') => ({
  address: '127.0.0.1',
  port: 19080 + version,
  labels: { app: 'reviews', version: `v${version}` },
  workload: `WorkloadEntry ${namespace}/reviews-v${version}`,
  serviceAccount: 'bookinfo-reviews',
});

const toSubset = (subset: string, weight: number, endpoints: unknown[], host = REVIEWS) => ({
  host,
  subset,
  port: 9080,
  weight,
  cluster: `outbound|9080|${subset}|${host}`,
  endpoints,
});

// ---------------------------------------------------------------------------------------------
// Bookinfo.

test('derive.bookinfo: end-user jason is routed to reviews v2 on port 19082', () => {
  const route = snapshotOf(stateAfter(applying(bookinfo()))).routes[0];
  assert.deepEqual(route, { match: [{ headers: { 'end-user': { exact: 'jason' } } }], destinations: [toSubset('v2', 100, [endpoint(2)])] });
});

test('derive.bookinfo: everyone else is split 90/10 over v1 and v2 with Istio cluster names', () => {
  const route = snapshotOf(stateAfter(applying(bookinfo()))).routes[1];
  assert.deepEqual(route, { match: [], destinations: [toSubset('v1', 90, [endpoint(1)]), toSubset('v2', 10, [endpoint(2)])] });
  assert.deepEqual(route?.destinations.map((d) => d.cluster), [
    'outbound|9080|v1|reviews.default.svc.cluster.local',
    'outbound|9080|v2|reviews.default.svc.cluster.local',
  ]);
});

test('derive.bookinfo: the snapshot has two rules, all three endpoints, the subsets and no warnings', () => {
  const s = snapshotOf(stateAfter(applying(bookinfo())));
  assert.equal(s.routes.length, 2);
  assert.deepEqual(s.ports, [{ number: 9080, name: 'http', protocol: 'HTTP' }]);
  assert.deepEqual(s.sources, { serviceEntry: 'default/reviews', virtualService: 'default/reviews-route', destinationRule: 'default/reviews' });
  assert.deepEqual(s.subsets, [
    { name: 'v1', labels: { version: 'v1' } },
    { name: 'v2', labels: { version: 'v2' } },
    { name: 'v3', labels: { version: 'v3' } },
  ]);
  assert.deepEqual(s.endpoints, [endpoint(1), endpoint(2), endpoint(3)]);
  assert.deepEqual(s.warnings, []);
  assert.deepEqual([...deriveSnapshots(stateAfter(applying(bookinfo()))).keys()], [REVIEWS]);
});

test('derive.bookinfo: without the VirtualService one rule sends traffic to all three endpoints', () => {
  const s = snapshotOf(stateAfter(applying(withoutKind(bookinfo(), 'VirtualService'))));
  assert.deepEqual(s.routes, [
    {
      match: [],
      destinations: [{ host: REVIEWS, port: 9080, weight: 100, cluster: `outbound|9080||${REVIEWS}`, endpoints: [endpoint(1), endpoint(2), endpoint(3)] }],
    },
  ]);
  assert.deepEqual(s.warnings, []);
  assert.equal(s.sources.virtualService, undefined);
});

test('derive.bookinfo: deleting the VirtualService goes back to the single rule', () => {
  const all = bookinfo();
  const vs = all.find((r) => r.kind === 'VirtualService')!;
  const s = snapshotOf(stateAfter(applying(all), deleting(vs)));
  assert.equal(s.routes.length, 1);
  assert.equal(s.routes[0]?.destinations[0]?.cluster, `outbound|9080||${REVIEWS}`);
});

test('derive: a subset no DestinationRule defines yields a warning and no endpoints', () => {
  const s = snapshotOf(stateAfter(applying([...withoutKind(bookinfo(), 'VirtualService'), virtualService('reviews-route', [{ route: [{ destination: { host: 'reviews', subset: 'v9' } }] }])])));
  assert.deepEqual(s.routes[0]?.destinations, [toSubset('v9', 100, [])]);
  assert.deepEqual(s.warnings, [
    `no endpoints for outbound|9080|v9|${REVIEWS}`,
    `subset "v9" of ${REVIEWS} is not defined by any DestinationRule`,
  ]);
});

test('derive: short names expand in the namespace of the resource naming them', () => {
  assert.equal(fqdn('reviews', 'prod'), 'reviews.prod.svc.cluster.local');
  assert.equal(fqdn('reviews.prod.svc.cluster.local', 'default'), 'reviews.prod.svc.cluster.local');
  assert.equal(fqdn('*.example.com', 'prod'), '*.example.com');
  const snapshots = deriveSnapshots(stateAfter(applying(bookinfo('prod'))));
  const host = 'reviews.prod.svc.cluster.local';
  assert.deepEqual([...snapshots.keys()], [host]);
  assert.deepEqual(snapshots.get(host)?.routes[1]?.destinations, [
    toSubset('v1', 90, [endpoint(1, 'prod')], host),
    toSubset('v2', 10, [endpoint(2, 'prod')], host),
  ]);
});

test('derive: the same short name in two namespaces gives two services with their own endpoints', () => {
  const snapshots = deriveSnapshots(stateAfter(applying(bookinfo('default')), applying(bookinfo('prod'))));
  assert.deepEqual([...snapshots.keys()], [REVIEWS, 'reviews.prod.svc.cluster.local']);
  assert.deepEqual(snapshots.get('reviews.prod.svc.cluster.local')?.endpoints.map((e) => e.workload), [
    'WorkloadEntry prod/reviews-v1',
    'WorkloadEntry prod/reviews-v2',
    'WorkloadEntry prod/reviews-v3',
  ]);
});

const canary = () => virtualService('a-reviews-canary', [{ route: [{ destination: { host: 'reviews', subset: 'v3' } }] }]);

test('derive: of two VirtualServices for one host the older wins and the newer is named in a warning', () => {
  const s = snapshotOf(stateAfter(applying(bookinfo()), applying([canary()])));
  assert.equal(s.sources.virtualService, 'default/reviews-route');
  assert.deepEqual(s.routes[1]?.destinations, [toSubset('v1', 90, [endpoint(1)]), toSubset('v2', 10, [endpoint(2)])]);
  assert.deepEqual(s.warnings, [`VirtualService default/a-reviews-canary also claims ${REVIEWS}; the older resource wins`]);
});

test('derive: updating the older VirtualService keeps it the winner', () => {
  const vs = bookinfo().find((r) => r.kind === 'VirtualService')!;
  const s = snapshotOf(stateAfter(applying(bookinfo()), applying([canary()]), applying([vs])));
  assert.equal(s.sources.virtualService, 'default/reviews-route');
});

test('derive: deleting the older VirtualService hands the host to the newer one', () => {
  const vs = bookinfo().find((r) => r.kind === 'VirtualService')!;
  const s = snapshotOf(stateAfter(applying(bookinfo()), applying([canary()]), deleting(vs)));
  assert.equal(s.sources.virtualService, 'default/a-reviews-canary');
  assert.deepEqual(s.routes, [{ match: [], destinations: [toSubset('v3', 100, [endpoint(3)])] }]);
  assert.deepEqual(s.warnings, []);
});

const reversed = (s: MeshState): MeshState => ({
  ...s,
  resources: new Map([...s.resources].reverse()),
  workloads: new Map([...s.workloads].reverse()),
});

test('derive: two VirtualServices created in one ChangeSet resolve by name, whatever the Map order', () => {
  // derive.ts promises "creation sequence, then key"; equal sequences must not fall back to insertion order.
  const state = stateAfter(applying([...bookinfo(), canary()]));
  const a = snapshotOf(state);
  const b = snapshotOf(reversed(state));
  assert.equal(canonicalJson(b), canonicalJson(a));
  assert.equal(a.sources.virtualService, 'default/a-reviews-canary');
  assert.deepEqual(a.warnings, [`VirtualService default/reviews-route also claims ${REVIEWS}; the older resource wins`]);
});

/** Reorders entries by the given sort keys: a permutation that shrinks cheaply. */
const permute = <T>(items: readonly T[], keys: readonly number[]): T[] =>
  items
    .map((item, i) => ({ item, key: keys[i] ?? 0, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map(({ item }) => item);

test('derive.property: snapshots do not depend on the insertion order of the state maps', () => {
  fc.assert(
    fc.property(twoStreams(), fc.array(fc.nat(), { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }), ({ merged }, resourceKeys, workloadKeys) => {
      const state = replay(emptyMeshState, merged);
      const shuffled: MeshState = {
        ...state,
        resources: new Map(permute([...state.resources], resourceKeys)),
        workloads: new Map(permute([...state.workloads], workloadKeys)),
      };
      assert.equal(canonicalJson([...deriveSnapshots(shuffled)]), canonicalJson([...deriveSnapshots(state)]));
    }),
  );
});

test('derive.property: every destination names its cluster the Istio way', () => {
  fc.assert(
    fc.property(twoStreams(), ({ merged }) => {
      for (const s of deriveSnapshots(replay(emptyMeshState, merged)).values()) {
        for (const d of s.routes.flatMap((r) => r.destinations)) assert.equal(d.cluster, outboundClusterName(d.host, d.port, d.subset));
      }
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// Smaller behaviours a user meets.

test('derive: a workload registered on MESH_REGISTRY joins the endpoints of the service selecting it', () => {
  const config = stateAfter(applying(bookinfo()));
  const state = replay(
    config,
    registryLog([
      {
        id: 'r1',
        type: 'WorkloadRegistered',
        at: '2024-05-01T12:00:00.000Z',
        actor: 'agent',
        namespace: 'default',
        name: 'reviews-v1-vm',
        workload: { address: '10.0.0.9', ports: { http: 9080 }, labels: { app: 'reviews', version: 'v1' } },
      },
    ]),
  );
  // Endpoints are ordered by address (as text), then port, so replicas agree byte for byte.
  assert.deepEqual(snapshotOf(state).routes[1]?.destinations[0]?.endpoints.map((e) => `${e.workload} ${e.address}:${e.port}`), [
    'registry default/reviews-v1-vm 10.0.0.9:9080',
    'WorkloadEntry default/reviews-v1 127.0.0.1:19081',
  ]);
});

test('derive: a single destination gets all traffic even when its weight is written as 0', () => {
  // Istio: "If there is only one destination in a rule, it will receive all traffic."
  const vs = virtualService('reviews-route', [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 0 }] }]);
  const s = snapshotOf(stateAfter(applying([...withoutKind(bookinfo(), 'VirtualService'), vs])));
  assert.deepEqual(s.routes[0]?.destinations, [toSubset('v1', 100, [endpoint(1)])]);
});

test('derive: a destination port the service does not declare is a warning, never endpoints on port 0', () => {
  const vs = virtualService('reviews-route', [{ route: [{ destination: { host: 'reviews', port: { number: 9999 } } }] }]);
  const s = snapshotOf(stateAfter(applying([...withoutKind(bookinfo(), 'VirtualService'), vs])));
  const d = s.routes[0]?.destinations[0];
  assert.equal(d?.cluster, `outbound|9999||${REVIEWS}`);
  assert.deepEqual(d?.endpoints.filter((e) => e.port === 0), []);
  assert.ok(s.warnings.some((w) => w.includes('9999')), `warnings: ${JSON.stringify(s.warnings)}`);
});

// ---------------------------------------------------------------------------------------------
// What a proxy needs of a route (issue 10).

const destinationRule = (spec: Record<string, unknown>) =>
  mustDecode({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews' }, spec: { host: 'reviews', ...spec } });
const withRoutes = (http: unknown[], extra: MeshResource[] = []) =>
  snapshotOf(stateAfter(applying([...withoutKind(bookinfo(), 'VirtualService'), virtualService('reviews-route', http), ...extra])));

test('derive.route: header edits of the route and of each destination are carried as written', () => {
  const headers = { request: { set: { 'x-a': '1' }, remove: ['x-b'] }, response: { add: { 'x-c': '2' } } };
  const route = withRoutes([{ headers, route: [{ destination: { host: 'reviews', subset: 'v1' }, headers: { request: { set: { 'x-v': 'v1' } } } }] }]).routes[0];
  assert.deepEqual(route?.headers, headers);
  assert.deepEqual(route?.destinations[0]?.headers, { request: { set: { 'x-v': 'v1' } } });
});

test('derive.route: a mirror is resolved to endpoints with its percentage, 100 when none is given', () => {
  const [one, many] = withRoutes([
    { match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }], mirror: { host: 'reviews', subset: 'v3' } },
    { route: [{ destination: { host: 'reviews', subset: 'v1' } }], mirrors: [{ destination: { host: 'reviews', subset: 'v2' }, percentage: { value: 12.5 } }, { destination: { host: 'reviews', subset: 'v3' } }] },
  ]).routes;
  assert.deepEqual(one?.mirrors, [{ ...toSubset('v3', 100, [endpoint(3)]), percentage: 100 }]);
  assert.deepEqual(many?.mirrors, [
    { ...toSubset('v2', 100, [endpoint(2)]), percentage: 12.5 },
    { ...toSubset('v3', 100, [endpoint(3)]), percentage: 100 },
  ]);
  const deprecated = withRoutes([{ route: [{ destination: { host: 'reviews', subset: 'v1' } }], mirror: { host: 'reviews', subset: 'v2' }, mirrorPercent: 7 }]).routes[0];
  assert.equal(deprecated?.mirrors?.[0]?.percentage, 7);
});

test('derive.route: CORS, full redirects, regex rewrites and the new match fields are carried', () => {
  const corsPolicy = { allowOrigins: [{ exact: 'https://a.example.com' }], allowMethods: ['GET', 'POST'], maxAge: '24h', allowCredentials: true };
  const match = { withoutHeaders: { 'x-debug': { regex: '*' } }, scheme: { exact: 'https' }, sourceLabels: { app: 'web' }, sourceNamespace: 'default' };
  const [cors, redirect] = withRoutes([
    { match: [match], corsPolicy, route: [{ destination: { host: 'reviews', subset: 'v1' } }], rewrite: { uriRegexRewrite: { match: '^/old/(.*)$', rewrite: '/new/\\1' } } },
    { redirect: { authority: 'b.example.com', scheme: 'https', derivePort: 'FROM_REQUEST_PORT', redirectCode: 308 } },
  ]).routes;
  assert.deepEqual(cors?.corsPolicy, corsPolicy);
  assert.deepEqual(cors?.match, [match]);
  assert.deepEqual(cors?.rewrite, { uriRegexRewrite: { match: '^/old/(.*)$', rewrite: '/new/\\1' } });
  assert.deepEqual(redirect?.redirect, { authority: 'b.example.com', scheme: 'https', derivePort: 'FROM_REQUEST_PORT', redirectCode: 308 });
});

test('derive.route: no retries in the VirtualService leaves retries undefined (the proxy applies Istio’s default); explicit ones keep retryOn', () => {
  const [none, some] = withRoutes([
    { match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
    { route: [{ destination: { host: 'reviews', subset: 'v1' } }], retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset' } },
  ]).routes;
  assert.equal(none?.retries, undefined);
  assert.deepEqual(some?.retries, { attempts: 3, perTryTimeoutMs: 2000, retryOn: '5xx,reset' });
  assert.deepEqual(DEFAULT_RETRY_POLICY, { attempts: 2, retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes' });
});

test('derive.route: a destination carries its effective traffic policy: top level, overridden by the subset, then by the port-level entry', () => {
  const top = { loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: { tcp: { maxConnections: 10 } }, outlierDetection: { consecutive5xxErrors: 5 }, tls: { mode: 'ISTIO_MUTUAL' } };
  const dr = destinationRule({
    trafficPolicy: { ...top, portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 20 } } }] },
    subsets: [
      { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' }, portLevelSettings: [{ port: { number: 9080 }, tls: { mode: 'DISABLE' } }] } },
      { name: 'v2', labels: { version: 'v2' } },
    ],
  });
  const s = snapshotOf(stateAfter(applying([...withoutKind(withoutKind(bookinfo(), 'VirtualService'), 'DestinationRule'), dr, virtualService('reviews-route', [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 50 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 50 }] }])])));
  const [v1, v2] = s.routes[0]?.destinations ?? [];
  assert.deepEqual(v1?.trafficPolicy, { loadBalancer: { simple: 'LEAST_REQUEST' }, connectionPool: { tcp: { maxConnections: 20 } }, outlierDetection: { consecutive5xxErrors: 5 }, tls: { mode: 'DISABLE' } });
  assert.deepEqual(v1?.loadBalancer, { simple: 'LEAST_REQUEST' });
  assert.deepEqual(v2?.trafficPolicy, { ...top, connectionPool: { tcp: { maxConnections: 20 } } });
  assert.deepEqual(v2?.loadBalancer, { simple: 'ROUND_ROBIN' });
});

test('derive.route: a VirtualService bound only to gateways does not shape sidecar routing, even when older', () => {
  const gatewayOnly = mustDecode({
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'edge' },
    spec: { hosts: ['reviews'], gateways: ['ingress'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v3' } }] }] },
  });
  const s = snapshotOf(stateAfter(applying([...withoutKind(bookinfo(), 'VirtualService'), gatewayOnly]), applying(bookinfo().filter((r) => r.kind === 'VirtualService'))));
  assert.equal(s.sources.virtualService, 'default/reviews-route');
  assert.equal(s.routes.length, 2);
  assert.deepEqual(s.warnings, []);
});

test('derive.route: matches naming only gateways are dropped for sidecars; a route left without matches is dropped', () => {
  const vs = mustDecode({
    apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews-route' },
    spec: {
      hosts: ['reviews'], gateways: ['mesh', 'ingress'],
      http: [
        { match: [{ uri: { prefix: '/edge' }, gateways: ['ingress'] }], route: [{ destination: { host: 'reviews', subset: 'v3' } }] },
        { match: [{ uri: { prefix: '/both' }, gateways: ['ingress'] }, { uri: { prefix: '/mesh' }, gateways: ['mesh'] }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    },
  });
  const s = snapshotOf(stateAfter(applying([...withoutKind(bookinfo(), 'VirtualService'), vs])));
  assert.deepEqual(s.routes.map((r) => r.match.map((m) => m.uri)), [[{ prefix: '/mesh' }], []]);
});

test('derive.route: a VirtualService whose every match names a gateway leaves the host its default route', () => {
  const s = withRoutes([{ match: [{ gateways: ['ingress'] }], route: [{ destination: { host: 'reviews', subset: 'v3' } }] }]);
  assert.equal(s.routes.length, 1);
  assert.equal(s.routes[0]?.destinations[0]?.cluster, `outbound|9080||${REVIEWS}`);
  assert.match(s.warnings.join('\n'), /no HTTP route for the mesh/);
});
