import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRight } from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { canonicalJson, type RoutingSnapshot } from '@jetmesh/model';
import { deriveSnapshotSet } from '../src/snapshot-set.js';
import type { Cluster, RouteConfiguration } from '../src/xds/envoy-resources.js';
import { listenerCandidates, virtualHostDomains } from '../src/xds/listener-name.js';
import { toXds, type HostXds, type TrafficPolicyOf } from '../src/xds/translation.js';
import { TypeUrls, type ResourceTypeUrl } from '../src/xds/type-urls.js';
import { checkHostXds } from '../src/xds/xds-consistency.js';
import { xdsProtos } from '../src/xds/xds-protos.js';
import { bookinfo, resourcesOf } from './pilot-harness.js';
import { grpcJsXdsSeesChange, grpcJsXdsVerdict, meshDocuments, meshStateOf } from './xds-fixtures.js';

const REVIEWS = 'reviews.default.svc.cluster.local';

const translateAll = (documents: readonly unknown[]): HostXds[] => {
  const set = deriveSnapshotSet(meshStateOf(documents));
  const policyOf: TrafficPolicyOf = (h) => set.snapshots.get(h)?.snapshot.trafficPolicy;
  return [...set.snapshots.values()].map((v) => toXds(v.snapshot, policyOf));
};

const resourcesOfHost = (x: HostXds): Array<[ResourceTypeUrl, string, object]> => [
  ...x.listeners.map((l) => [TypeUrls.listener, l.name, l] as [ResourceTypeUrl, string, object]),
  ...x.routeConfigurations.map((r) => [TypeUrls.routeConfiguration, r.name, r] as [ResourceTypeUrl, string, object]),
  ...x.clusters.map((c) => [TypeUrls.cluster, c.name, c] as [ResourceTypeUrl, string, object]),
  ...x.loadAssignments.map((a) => [TypeUrls.clusterLoadAssignment, a.cluster_name, a] as [ResourceTypeUrl, string, object]),
];

// Proto3 leaves zero values off the wire: compare what survives, as strings.
const ZERO_ENUMS = new Set(['ROUND_ROBIN', 'DEFAULT', 'HUNDRED', 'MOVED_PERMANENTLY']);
const normalize = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v)
      .map(([k, x]) => [k, normalize(x)] as const)
      .filter(([, x]) => !(x === undefined || (typeof x === 'object' && x !== null && Object.keys(x).length === 0 && !Array.isArray(x)) || (Array.isArray(x) && x.length === 0)));
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  if (v === 0 || v === '0' || v === '' || v === false || v === null || (typeof v === 'string' && ZERO_ENUMS.has(v))) return undefined;
  return String(v);
};

/** Resources grpc-js-xds rejects by design: load balancers it lacks, routes that do not forward. */
const expectedRejection = (type: ResourceTypeUrl, body: object): RegExp | undefined => {
  if (type === TypeUrls.cluster) {
    const c = body as Cluster;
    if (c.lb_policy === 'RANDOM') return /unsupported lb_policy: RANDOM/;
    if (c.type === 'ORIGINAL_DST') return /./;
  }
  if (type === TypeUrls.routeConfiguration) {
    const r = body as RouteConfiguration;
    if (r.virtual_hosts.some((vh) => vh.routes.some((x) => x.redirect !== undefined || x.direct_response !== undefined))) return /unsupported action/;
  }
  return undefined;
};

describe('xDS translation', () => {
  test('translation.consistent: every host of any mesh passes the consistency check', () => {
    fc.assert(
      fc.property(meshDocuments, (docs) => {
        for (const x of translateAll(docs)) {
          const checked = checkHostXds(x);
          assert.ok(isRight(checked), JSON.stringify(checked));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('translation.deterministic: the same snapshots give byte-identical resources', () => {
    fc.assert(
      fc.property(meshDocuments, (docs) => {
        assert.equal(canonicalJson(translateAll(docs)), canonicalJson(translateAll([...docs])));
      }),
      { numRuns: 100 },
    );
  });

  test('translation.encodes: every resource encodes with Envoy protos and decodes back field for field', () => {
    const protos = xdsProtos();
    fc.assert(
      fc.property(meshDocuments, (docs) => {
        for (const x of translateAll(docs)) {
          for (const [type, name, body] of resourcesOfHost(x)) {
            const decoded = protos.decode(type, protos.encode(type, body));
            assert.deepEqual(normalize(decoded), normalize(body), `${name} lost or changed fields on the wire`);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  test('translation.grpc-js-xds-accepts: a real client validates every resource, rejecting only what it cannot do', () => {
    const protos = xdsProtos();
    fc.assert(
      fc.property(meshDocuments, (docs) => {
        for (const x of translateAll(docs)) {
          for (const [type, name, body] of resourcesOfHost(x)) {
            const error = grpcJsXdsVerdict(type, protos.encode(type, body));
            const expected = expectedRejection(type, body);
            if (expected === undefined) assert.equal(error, undefined, `grpc-js-xds rejected ${name}: ${error}`);
            else assert.match(error ?? '', expected, `${name} should be rejected by grpc-js-xds`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('translation.bookinfo: Istio names, every authority form, the 90/10 split and the jason rule', () => {
    const x = translateAll(bookinfo()).find((h) => h.host === REVIEWS);
    assert.ok(x);
    assert.deepEqual(x.listeners.map((l) => l.name), [`${REVIEWS}:9080`]);
    assert.equal(x.listeners[0]?.api_listener.api_listener.rds.route_config_name, `${REVIEWS}:9080`);
    assert.deepEqual(x.listeners[0]?.api_listener.api_listener.http_filters.map((f) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
    const vh = x.routeConfigurations[0]?.virtual_hosts[0];
    assert.deepEqual(
      [...(vh?.domains ?? [])].sort(),
      ['reviews', 'reviews.default', 'reviews.default.svc', REVIEWS].flatMap((d) => [d, `${d}:9080`]).sort(),
    );
    assert.deepEqual(vh?.routes[0]?.match, { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] });
    assert.equal(vh?.routes[0]?.route?.cluster, `outbound|9080|v2|${REVIEWS}`);
    assert.deepEqual(vh?.routes[1]?.route?.weighted_clusters?.clusters, [
      { name: `outbound|9080|v1|${REVIEWS}`, weight: { value: 90 } },
      { name: `outbound|9080|v2|${REVIEWS}`, weight: { value: 10 } },
    ]);
    assert.deepEqual(x.clusters.map((c) => [c.name, c.type, c.lb_policy]), [
      [`outbound|9080|v1|${REVIEWS}`, 'EDS', 'ROUND_ROBIN'],
      [`outbound|9080|v2|${REVIEWS}`, 'EDS', 'ROUND_ROBIN'],
    ]);
    assert.deepEqual(
      x.loadAssignments.map((a) => [a.cluster_name, a.endpoints.flatMap((l) => l.lb_endpoints.map((e) => e.endpoint.address.socket_address.port_value))]),
      [
        [`outbound|9080|v1|${REVIEWS}`, [19081]],
        [`outbound|9080|v2|${REVIEWS}`, [19082]],
      ],
    );
  });

  const reviewsWith = (extra: string): HostXds => {
    const docs = [...bookinfo().filter((r) => r.kind !== 'VirtualService' && r.kind !== 'DestinationRule'), ...resourcesOf(extra)];
    const x = translateAll(docs).find((h) => h.host === REVIEWS);
    assert.ok(x);
    return x;
  };

  test('translation.timeouts-retries-faults: gRPC-honoured fields are set as grpc-js-xds reads them', () => {
    const x = reviewsWith(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
    timeout: 1.5s
    retries: {attempts: 3, perTryTimeout: 200ms, retryOn: unavailable}
    fault:
      abort: {grpcStatus: UNAVAILABLE, percentage: {value: 12.5}}
`);
    const route = x.routeConfigurations[0]?.virtual_hosts[0]?.routes[0];
    assert.deepEqual(route?.route?.timeout, { seconds: 1, nanos: 500_000_000 });
    assert.deepEqual(route?.route?.max_stream_duration?.max_stream_duration, { seconds: 1, nanos: 500_000_000 });
    assert.deepEqual(route?.route?.retry_policy, { retry_on: 'unavailable', num_retries: { value: 3 }, per_try_timeout: { seconds: 0, nanos: 200_000_000 } });
    assert.deepEqual(route?.typed_per_filter_config?.['envoy.filters.http.fault']?.abort, { grpc_status: 14, percentage: { numerator: 125_000, denominator: 'MILLION' } });
  });

  test('translation.destination-rule: least request falls back to round robin for gRPC, consistent hash becomes a ring hash, limits become circuit breakers', () => {
    const x = reviewsWith(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
    connectionPool: {http: {http2MaxRequests: 7}}
    outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 30s}
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v1}}]
  - route: [{destination: {host: reviews, subset: v2}}]
`);
    const [v1, v2] = x.clusters;
    assert.equal(v1?.lb_policy, 'RING_HASH');
    assert.deepEqual(x.routeConfigurations[0]?.virtual_hosts[0]?.routes[0]?.route?.hash_policy, [{ header: { header_name: 'x-user' } }]);
    assert.equal(v2?.lb_policy, 'LEAST_REQUEST');
    assert.deepEqual(v2?.load_balancing_policy?.policies.map((p) => p.typed_extension_config.name), [
      'envoy.load_balancing_policies.least_request',
      'envoy.load_balancing_policies.round_robin',
    ]);
    for (const c of [v1, v2]) {
      assert.deepEqual(c?.circuit_breakers, { thresholds: [{ priority: 'DEFAULT', max_requests: { value: 7 } }] });
      assert.deepEqual(c?.outlier_detection?.consecutive_5xx, { value: 3 });
      assert.deepEqual(c?.outlier_detection?.interval, { seconds: 5, nanos: 0 });
    }
    const protos = xdsProtos();
    for (const c of x.clusters) assert.equal(grpcJsXdsVerdict(TypeUrls.cluster, protos.encode(TypeUrls.cluster, c)), undefined, c.name);
  });

  test('translation.fault-change-visible: grpc-js-xds applies a fault added to or changed on a route', () => {
    const protos = xdsProtos();
    const route = (fault: string) =>
      reviewsWith(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
${fault}`).routeConfigurations[0] as RouteConfiguration;
    const encoded = (fault: string) => protos.encode(TypeUrls.routeConfiguration, route(fault));
    const none = encoded('');
    const delay = encoded('    fault: {delay: {fixedDelay: 1s}}\n');
    const delayAndAbort = encoded('    fault: {delay: {fixedDelay: 1s}, abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}\n');
    assert.ok(grpcJsXdsSeesChange(TypeUrls.routeConfiguration, none, delay), 'adding a fault went unnoticed');
    assert.ok(grpcJsXdsSeesChange(TypeUrls.routeConfiguration, delay, delayAndAbort), 'extending a fault went unnoticed');
    assert.ok(grpcJsXdsSeesChange(TypeUrls.routeConfiguration, delayAndAbort, none), 'removing a fault went unnoticed');
  });

  test('translation.short-names: a name a client dials expands in its namespace, like Istio', () => {
    assert.deepEqual(listenerCandidates('reviews:9080', 'default'), [`${REVIEWS}:9080`]);
    assert.deepEqual(listenerCandidates('reviews.prod:9080', 'default'), ['reviews.prod.svc.cluster.local:9080', 'reviews.prod:9080']);
    assert.deepEqual(listenerCandidates('reviews.prod.svc:9080', 'default'), ['reviews.prod.svc.cluster.local:9080', 'reviews.prod.svc:9080']);
    assert.deepEqual(listenerCandidates('api.example.com:443', 'default'), ['api.example.com:443']);
    assert.deepEqual(listenerCandidates('reviews', 'default'), []);
    assert.deepEqual(virtualHostDomains('api.example.com', 443), ['api.example.com', 'api.example.com:443']);
  });

  test('translation.no-virtual-service: every port of a service routes to its own cluster', () => {
    const x = translateAll(
      resourcesOf(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings}
spec: {hosts: [ratings], ports: [{number: 9080, name: http}, {number: 9090, name: grpc}], workloadSelector: {labels: {app: ratings}}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-1}
spec: {address: 10.0.0.1, ports: {http: 9080, grpc: 9090}, labels: {app: ratings}}
`),
    )[0] as HostXds;
    const snapshotHost = 'ratings.default.svc.cluster.local';
    assert.deepEqual(x.listeners.map((l) => l.name), [`${snapshotHost}:9080`, `${snapshotHost}:9090`]);
    assert.deepEqual(
      x.routeConfigurations.map((r) => r.virtual_hosts[0]?.routes[0]?.route?.cluster),
      [`outbound|9080||${snapshotHost}`, `outbound|9090||${snapshotHost}`],
    );
    assert.deepEqual(x.loadAssignments.map((a) => a.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address.port_value), [9080, 9090]);
  });

  test('translation.policy-of-destination: a cluster takes its traffic policy from the destination host', () => {
    const snapshot = (host: string): RoutingSnapshot => ({
      host,
      ports: [{ number: 80, name: 'http' }],
      sources: { serviceEntry: `default/${host}`, virtualService: 'default/front' },
      routes: [{ match: [], destinations: [{ host: 'back.default.svc.cluster.local', port: 80, weight: 100, cluster: 'outbound|80||back.default.svc.cluster.local', endpoints: [] }] }],
      subsets: [],
      endpoints: [],
      warnings: [],
    });
    const x = toXds(snapshot('front.default.svc.cluster.local'), (h) => (h === 'back.default.svc.cluster.local' ? { connectionPool: { http: { http2MaxRequests: 3 } } } : undefined));
    assert.deepEqual(x.dependsOn, ['back.default.svc.cluster.local']);
    assert.deepEqual(x.clusters[0]?.circuit_breakers?.thresholds[0]?.max_requests, { value: 3 });
    assert.deepEqual(x.loadAssignments[0]?.endpoints, []);
  });
});
