import { randomUUID } from 'node:crypto';
import { isRight } from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { register } from '@grpc/grpc-js-xds';
import { ClusterResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/cluster-resource-type.js';
import { EndpointResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/endpoint-resource-type.js';
import { ListenerResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/listener-resource-type.js';
import { RouteConfigurationResourceType } from '@grpc/grpc-js-xds/build/src/xds-resource-type/route-config-resource-type.js';
import type { XdsDecodeContext } from '@grpc/grpc-js-xds/build/src/xds-resource-type/xds-resource-type.js';
import { decodeResource, emptyMeshState, GENESIS_HASH, replay, type MeshResource, type MeshState } from '@jetmesh/model';
import { TypeUrls, type ResourceTypeUrl } from '../src/xds/type-urls.js';

/*
 * Meshes for translation properties: valid Istio documents over a few Bookinfo names, so routes,
 * subsets and policies meet; and grpc-js-xds's own resource validation, the judge of what a real
 * client accepts.
 */

const HOSTS = ['reviews', 'ratings', 'details'] as const;
const VERSIONS = ['v1', 'v2', 'v3'] as const;

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const duration = fc.constantFrom('50ms', '100ms', '1s', '1.5s', '2s', '10s');
const stringMatch = fc.oneof(
  fc.constantFrom('jason', 'a', 'x-1').map((exact) => ({ exact })),
  fc.constantFrom('/', '/jetmesh', '/api/').map((prefix) => ({ prefix })),
  fc.constantFrom('^/v[0-9]+/.*', '.*son').map((regex) => ({ regex })),
);
const headerMatch = fc.oneof(fc.constantFrom('jason', 'a').map((exact) => ({ exact })), fc.constantFrom('ja', 'b').map((prefix) => ({ prefix })));

const serviceEntry = (host: string, ports: readonly number[]) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name: host, namespace: 'default' },
  spec: {
    hosts: [host],
    ports: ports.map((number) => ({ number, name: number === 9080 ? 'http' : 'grpc' })),
    workloadSelector: { labels: { app: host } },
  },
});

const workloadEntry = (host: string) =>
  fc
    .record({
      version: fc.constantFrom(...VERSIONS),
      address: fc.oneof(fc.ipV4(), fc.constant('127.0.0.1'), fc.constant('backend.example.com')),
      port: fc.integer({ min: 1024, max: 65535 }),
      locality: opt(fc.constantFrom('us-east/a', 'us-east/b/1', 'eu')),
      weight: opt(fc.integer({ min: 0, max: 100 })),
      id: fc.integer({ min: 0, max: 9 }),
    })
    .map((w) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'WorkloadEntry',
      metadata: { name: `${host}-${w.version}-${w.id}`, namespace: 'default' },
      spec: defined({ address: w.address, ports: { http: w.port, grpc: w.port + 1 }, labels: { app: host, version: w.version }, locality: w.locality, weight: w.weight }),
    }));

const loadBalancer = fc.oneof(
  fc.constantFrom('ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'UNSPECIFIED').map((simple) => ({ simple })),
  fc
    .record({
      hash: fc.oneof(
        fc.constant({ httpHeaderName: 'x-user' }),
        fc.constant({ httpCookie: { name: 'session', ttl: '10s' } }),
        fc.constant({ useSourceIp: true }),
        fc.constant({ httpQueryParameterName: 'user' }),
      ),
      ring: opt(fc.integer({ min: 64, max: 4096 })),
    })
    .map(({ hash, ring }) => ({ consistentHash: defined({ ...hash, minimumRingSize: ring }) })),
);

const trafficPolicy = fc
  .record({
    loadBalancer: opt(loadBalancer),
    connectionPool: opt(
      fc.record({
        tcp: opt(fc.record({ maxConnections: opt(fc.integer({ min: 1, max: 1000 })), connectTimeout: opt(duration) }).map(defined)),
        http: opt(fc.record({ http2MaxRequests: opt(fc.integer({ min: 1, max: 1000 })), http1MaxPendingRequests: opt(fc.integer({ min: 1, max: 100 })), maxRetries: opt(fc.integer({ min: 0, max: 10 })) }).map(defined)),
      }).map(defined),
    ),
    outlierDetection: opt(
      fc.record({
        consecutive5xxErrors: opt(fc.integer({ min: 0, max: 10 })),
        consecutiveGatewayErrors: opt(fc.integer({ min: 0, max: 10 })),
        interval: opt(duration),
        baseEjectionTime: opt(duration),
        maxEjectionPercent: opt(fc.integer({ min: 0, max: 100 })),
        minHealthPercent: opt(fc.integer({ min: 0, max: 100 })),
      }).map(defined),
    ),
    portLevelSettings: opt(fc.constant([{ port: { number: 9090 }, loadBalancer: { simple: 'LEAST_REQUEST' } }])),
  })
  .map(defined);

const destinationRule = (host: string) =>
  fc
    .record({
      subsets: fc.subarray([...VERSIONS]),
      subsetPolicy: opt(loadBalancer),
      trafficPolicy: opt(trafficPolicy),
    })
    .map(({ subsets, subsetPolicy, trafficPolicy: tp }) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: host, namespace: 'default' },
      spec: defined({
        host,
        subsets: subsets.map((v, i) => defined({ name: v, labels: { version: v }, trafficPolicy: i === 0 && subsetPolicy !== undefined ? { loadBalancer: subsetPolicy } : undefined })),
        trafficPolicy: tp,
      }),
    }));

const httpRoute = fc
  .record({
    match: opt(
      fc.array(
        fc
          .record({
            uri: opt(stringMatch),
            headers: opt(fc.record({ 'end-user': headerMatch }, { requiredKeys: [] })),
            method: opt(fc.constant({ exact: 'POST' })),
            authority: opt(fc.constant({ prefix: 'reviews' })),
            queryParams: opt(fc.constant({ debug: { exact: '1' } })),
            port: opt(fc.constantFrom(9080, 9090)),
            ignoreUriCase: opt(fc.boolean()),
          })
          .map(defined),
        { minLength: 1, maxLength: 3 },
      ),
    ),
    target: fc.oneof(
      { weight: 8, arbitrary: fc.array(fc.record({ host: fc.constantFrom(...HOSTS), subset: opt(fc.constantFrom(...VERSIONS)), port: opt(fc.constant(9080)), weight: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 3 }).map((route) => ({ route: route.map((d) => defined({ destination: defined({ host: d.host, subset: d.subset, port: d.port === undefined ? undefined : { number: d.port } }), weight: d.weight })) })) },
      { weight: 1, arbitrary: fc.constant({ redirect: { uri: '/moved', redirectCode: 302 } }) },
      { weight: 1, arbitrary: fc.constant({ directResponse: { status: 503, body: { string: 'down' } } }) },
    ),
    timeout: opt(duration),
    retries: opt(fc.record({ attempts: fc.integer({ min: 0, max: 5 }), perTryTimeout: opt(duration), retryOn: opt(fc.constantFrom('unavailable', '5xx,unavailable', 'cancelled,deadline-exceeded')) }).map(defined)),
    fault: opt(
      fc.oneof(
        fc.record({ delay: fc.record({ fixedDelay: duration, percentage: opt(fc.record({ value: fc.double({ min: 0, max: 100, noNaN: true }) })) }).map(defined) }),
        fc.record({ abort: fc.oneof(fc.record({ httpStatus: fc.constantFrom(400, 503), percentage: fc.record({ value: fc.constantFrom(0, 12.5, 50, 100) }) }), fc.record({ grpcStatus: fc.constantFrom('UNAVAILABLE', 'INTERNAL', '14'), percentage: fc.record({ value: fc.constantFrom(50, 100) }) })) }),
      ),
    ),
    rewrite: opt(fc.constant({ uri: '/v2' })),
  })
  .map(({ target, ...rest }) => defined({ ...rest, ...target }));

const virtualService = (host: string) =>
  fc.array(httpRoute, { minLength: 1, maxLength: 3 }).map((http) => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: host, namespace: 'default' },
    spec: { hosts: [host], http },
  }));

/** The documents of a mesh: every host a ServiceEntry, some workloads, maybe a DestinationRule and a VirtualService. */
export const meshDocuments: fc.Arbitrary<unknown[]> = fc
  .tuple(
    ...HOSTS.map((host) =>
      fc
        .record({
          ports: fc.constantFrom([9080], [9080, 9090]),
          workloads: fc.array(workloadEntry(host), { maxLength: 4 }),
          dr: opt(destinationRule(host)),
          vs: opt(virtualService(host)),
        })
        .map(({ ports, workloads, dr, vs }) => [serviceEntry(host, ports), ...workloads, ...(dr ? [dr] : []), ...(vs ? [vs] : [])]),
    ),
  )
  .map((groups) => groups.flat());

/** The valid documents folded into a mesh state (what galley would have accepted). */
export function meshStateOf(documents: readonly unknown[]): MeshState {
  const resources = new Map<string, MeshResource>();
  for (const doc of documents) {
    const decoded = decodeResource(doc);
    if (isRight(decoded)) {
      const r = decoded.right.resource;
      resources.set(`${r.kind}/${r.metadata.name}`, r);
    }
  }
  return replay(emptyMeshState, [
    {
      stream: 'config',
      seq: 1,
      event: { id: randomUUID(), type: 'ChangeSet', at: new Date(0).toISOString(), actor: 'test', prev: GENESIS_HASH, changes: [...resources.values()].map((resource) => ({ op: 'apply' as const, resource })) },
    },
  ]);
}

let registered = false;

const resourceType = (typeUrl: ResourceTypeUrl) => {
  if (!registered) {
    // Its HTTP filters and LB policies are registered by register(), as in any client process.
    register();
    registered = true;
  }
  return typeUrl === TypeUrls.listener
    ? ListenerResourceType.get()
    : typeUrl === TypeUrls.routeConfiguration
      ? RouteConfigurationResourceType.get()
      : typeUrl === TypeUrls.cluster
        ? ClusterResourceType.get()
        : EndpointResourceType.get();
};

const context = {
  server: { server_uri: 'pilot', channel_creds: [], server_features: [] },
  bootstrap: { certificateProviders: {} },
} as unknown as XdsDecodeContext;

/** What grpc-js-xds 1.14.1 says of one encoded resource: undefined when it accepts it, else its error. */
export function grpcJsXdsVerdict(typeUrl: ResourceTypeUrl, value: Buffer): string | undefined {
  return resourceType(typeUrl).decode(context, { type_url: typeUrl, value }).error;
}

/** Whether grpc-js-xds 1.14.1 applies `after` over `before`, or takes it for the same resource and ignores it. */
export function grpcJsXdsSeesChange(typeUrl: ResourceTypeUrl, before: Buffer, after: Buffer): boolean {
  const type = resourceType(typeUrl);
  const decode = (value: Buffer) => type.decode(context, { type_url: typeUrl, value }).value ?? null;
  return !type.resourcesEqual(decode(before), decode(after));
}
