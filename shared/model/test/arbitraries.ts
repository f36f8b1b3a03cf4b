import fc from 'fast-check';
import {
  type Change,
  type ChangeSet,
  type LogEvent,
  type MeshResource,
  type RegistryEvent,
  type ResourceKind,
  GENESIS_HASH,
  resourceKindNames,
} from '../src/index.js';
import { type ChangeSetBody, chainConfigLog, mustDecode, registryLog } from './event-log.js';

/*
 * fast-check arbitraries for VALID Istio documents, ChangeSets, registry events and logs.
 * Documents come out in canonical form (what `encodeResource` prints: namespace set, no
 * absent key present as undefined), so decode∘encode must give them back unchanged.
 * A Vocabulary decides which names, hosts and labels appear: `wide` explores the codecs,
 * `mesh` draws from a few Bookinfo-like names so resources collide, select and route to
 * each other in reducer and derivation properties.
 */

export interface ServicePortName {
  readonly number: number;
  readonly name: string;
}

export interface Vocabulary {
  readonly name: fc.Arbitrary<string>;
  readonly namespace: fc.Arbitrary<string>;
  /** A host as users write it: short name, FQDN or `*.` wildcard (never the bare `*`). */
  readonly host: fc.Arbitrary<string>;
  readonly subset: fc.Arbitrary<string>;
  /** Keys of labels and annotations. */
  readonly labelKey: fc.Arbitrary<string>;
  /** Labels and selectors; the mesh vocabulary keeps keys and values coherent so selectors match. */
  readonly labels: fc.Arbitrary<Record<string, string>>;
  /** Name and number are in one-to-one correspondence, so ports unique by number are unique by name. */
  readonly servicePort: fc.Arbitrary<ServicePortName>;
  readonly address: fc.Arbitrary<string>;
}

/** fc.record that omits absent optional keys and never builds null-prototype objects. */
const rec = <T extends object, K extends keyof T>(model: { [P in keyof T]: fc.Arbitrary<T[P]> }, requiredKeys: K[]) =>
  fc.record<T, K>(model, { requiredKeys, noNullPrototype: true });

const mapOf = <V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>, maxLength = 3): fc.Arbitrary<Record<string, V>> =>
  fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength }).map((es) => Object.fromEntries(es));

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,12}[a-z0-9])?$/);
/** Istio refuses an all-numeric top-level domain (`svc.123`), so the last label of a host starts with a letter. */
const topLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,12}[a-z0-9])?$/);
const labelName = fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/);
const domain = fc.tuple(fc.array(dnsLabel, { minLength: 1, maxLength: 3 }), topLabel).map(([ls, top]) => [...ls, top].join('.'));
// `host` is no header a route may set or remove (Envoy owns it), so tokens never spell it.
const token = fc.stringMatching(/^[a-z][-a-z0-9]{0,12}$/).filter((t) => t !== 'host');
/** Header values as Envoy takes them: no control characters, no lone `%`. */
// eslint-disable-next-line no-control-regex
const headerValue = fc.string({ maxLength: 8 }).map((s) => s.replace(/[%\u0000-\u001f\u007f]/g, ''));
const wideLabelKey = fc.oneof(labelName, fc.tuple(domain, labelName).map(([p, n]) => `${p}/${n}`));
const wideLabelValue = fc.oneof(fc.constant(''), labelName);

export const wide: Vocabulary = {
  name: fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('.')),
  namespace: dnsLabel,
  host: fc.oneof(topLabel, domain, domain.map((d) => `*.${d}`)),
  subset: dnsLabel,
  labelKey: wideLabelKey,
  labels: mapOf(wideLabelKey, wideLabelValue),
  servicePort: fc.integer({ min: 1, max: 65535 }).map((number) => ({ number, name: `port-${number}` })),
  address: fc.oneof(fc.ipV4(), domain),
};

const meshPorts: readonly ServicePortName[] = [
  { number: 9080, name: 'http' },
  { number: 9090, name: 'grpc' },
  { number: 15000, name: 'admin' },
];

export const mesh: Vocabulary = {
  name: fc.constantFrom('reviews', 'ratings', 'details'),
  namespace: fc.constantFrom('default', 'prod'),
  host: fc.constantFrom('reviews', 'ratings', 'details', 'reviews.prod.svc.cluster.local'),
  subset: fc.constantFrom('v1', 'v2', 'v3'),
  labelKey: fc.constantFrom('app', 'version'),
  labels: rec({ app: fc.constantFrom('reviews', 'ratings', 'details'), version: fc.constantFrom('v1', 'v2', 'v3') }, []),
  servicePort: fc.constantFrom(...meshPorts),
  address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
};

/** Go-style durations of at least 1ms, the way users write them. */
export const duration = fc.oneof(
  fc.integer({ min: 1, max: 3600 }).map((n) => `${n}s`),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `${n}ms`),
  fc.tuple(fc.integer({ min: 1, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([m, s]) => `${m}m${s}s`),
  fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 })).map(([a, b]) => `${a}.${b}s`),
  fc.integer({ min: 1, max: 24 }).map((n) => `${n}h`),
);

const portNumber = fc.integer({ min: 1, max: 65535 });
/** Istio refuses an empty traffic policy or connection pool ("must have at least one field"). */
const nonEmpty = (o: object): boolean => Object.keys(o).length > 0;

/** Istio's host overlap: `*.a.b` covers `x.a.b`; a VirtualService may not list both. */
const overlaps = (a: string, b: string): boolean => {
  const covers = (w: string, h: string): boolean => w.startsWith('*.') && h.endsWith(w.slice(1));
  return a === b || covers(a, b) || covers(b, a);
};
const withoutOverlaps = (hosts: readonly string[]): string[] =>
  hosts.reduce<string[]>((kept, h) => (kept.some((k) => overlaps(k, h)) ? kept : [...kept, h]), []);
const percentage = rec({ value: fc.integer({ min: 0, max: 1000 }).map((n) => n / 10) }, ['value']);

export const stringMatch = fc.oneof(
  rec({ exact: fc.string({ maxLength: 12 }) }, ['exact']),
  rec({ prefix: fc.string({ minLength: 1, maxLength: 12 }) }, ['prefix']),
  rec({ regex: fc.constantFrom('^/api/v[0-9]+/.*', '.*', 'jason|kim', '[a-z]+') }, ['regex']),
);

const destination = (v: Vocabulary) =>
  rec({ host: v.host, subset: v.subset, port: rec({ number: v.servicePort.map((p) => p.number) }, ['number']) }, ['host']);

const headerOperations = rec(
  { set: mapOf(token, headerValue), add: mapOf(token, headerValue), remove: fc.array(token, { maxLength: 2 }) },
  [],
);
const headers = rec({ request: headerOperations, response: headerOperations }, []);

const matchRequest = (v: Vocabulary) =>
  rec(
    {
      name: token,
      uri: stringMatch,
      method: stringMatch,
      authority: stringMatch,
      headers: mapOf(token, stringMatch, 2),
      queryParams: mapOf(token, stringMatch, 2),
      port: portNumber,
      sourceLabels: v.labels,
      ignoreUriCase: fc.boolean(),
      withoutHeaders: mapOf(token, stringMatch, 1),
      sourceNamespace: v.namespace,
    },
    [],
  );

type RouteDestinationDoc = { destination: Record<string, unknown>; weight?: number; headers?: Record<string, unknown> };

/** Several destinations must have weights adding up to more than 0; a zero sum gets weight 1 on the first. */
const routeDestinations = (v: Vocabulary): fc.Arbitrary<RouteDestinationDoc[]> =>
  fc
    .array(rec<RouteDestinationDoc, 'destination'>({ destination: destination(v), weight: fc.integer({ min: 0, max: 100 }), headers }, ['destination']), {
      minLength: 1,
      maxLength: 3,
    })
    .map((ds) =>
      ds.length > 1 && ds.reduce((s, d) => s + (d.weight ?? 0), 0) === 0 ? [{ ...ds[0]!, weight: 1 }, ...ds.slice(1)] : ds,
    );

// Attempts 0 disables retries, so Istio refuses other retry settings beside it.
const retries = rec({ attempts: fc.integer({ min: 1, max: 10 }), perTryTimeout: duration, retryOn: fc.constantFrom('5xx', 'gateway-error,connect-failure', 'retriable-4xx') }, [
  'attempts',
]);

const fault = fc.oneof(
  rec({ delay: rec({ fixedDelay: duration, percentage }, ['fixedDelay']) }, ['delay']),
  rec({ abort: rec({ httpStatus: fc.integer({ min: 200, max: 599 }), percentage }, ['httpStatus']) }, ['abort']),
);

/** Exactly one of route / redirect / directResponse, as Istio requires. */
const routeTarget = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    rec({ route: routeDestinations(v), rewrite: rec({ uri: fc.constantFrom('/', '/v2/'), authority: v.host }, ['uri']), mirror: destination(v), mirrorPercentage: percentage }, [
      'route',
    ]),
    rec({
      redirect: fc
        .tuple(
          fc.oneof(rec({ uri: fc.constantFrom('/', '/moved') }, ['uri']), rec({ prefixRewrite: fc.constantFrom('/', '/v2') }, ['prefixRewrite'])),
          rec({ authority: v.host, port: portNumber, scheme: fc.constantFrom('http', 'https'), redirectCode: fc.integer({ min: 300, max: 399 }) }, []),
        )
        .map(([path, rest]) => ({ ...path, ...rest })),
    }, ['redirect']),
    rec({ directResponse: rec({ status: fc.integer({ min: 200, max: 599 }), body: fc.oneof(rec({ string: fc.string({ maxLength: 20 }) }, ['string']), rec({ bytes: fc.base64String({ maxLength: 12 }) }, ['bytes'])) }, ['status']) }, [
      'directResponse',
    ]),
  );

/** A root route handing its traffic to a delegate VirtualService (by name, maybe in another namespace). */
const delegateTarget = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> => rec({ delegate: rec({ name: v.name, namespace: v.namespace }, ['name']) }, ['delegate']);

export const httpRoute = (v: Vocabulary, delegating = true): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      rec({ name: token, match: fc.array(matchRequest(v), { maxLength: 2 }), timeout: duration, retries, fault, headers }, []),
      delegating ? fc.oneof({ arbitrary: routeTarget(v), weight: 4 }, { arbitrary: delegateTarget(v), weight: 1 }) : routeTarget(v),
    )
    // A redirect or direct response ends the request: Istio refuses a fault beside them.
    .map(([common, target]) => {
      const { fault: f, ...rest } = common;
      return { ...rest, ...(f !== undefined && 'route' in target ? { fault: f } : {}), ...target };
    });

const tcpRoute = (v: Vocabulary) =>
  rec(
    {
      match: fc.array(rec({ port: portNumber, sourceLabels: v.labels, sourceNamespace: v.namespace }, []), { maxLength: 2 }),
      route: fc
        .array(rec<{ destination: Record<string, unknown>; weight?: number }, 'destination'>({ destination: destination(v), weight: fc.integer({ min: 0, max: 100 }) }, ['destination']), {
          minLength: 1,
          maxLength: 2,
        })
        .map((ds) => (ds.length > 1 && ds.every((d) => (d.weight ?? 0) === 0) ? [{ ...ds[0]!, weight: 1 }, ...ds.slice(1)] : ds)),
    },
    ['route'],
  );

const apiVersion = fc.constantFrom('networking.istio.io/v1alpha3', 'networking.istio.io/v1beta1', 'networking.istio.io/v1');

export interface IstioDocument {
  readonly apiVersion: string;
  readonly kind: ResourceKind;
  readonly metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly spec: Record<string, unknown>;
}

const metadata = (v: Vocabulary) =>
  rec({ name: v.name, namespace: v.namespace, labels: v.labels, annotations: mapOf(v.labelKey, fc.string({ maxLength: 16 }), 2) }, ['name', 'namespace']);

const document = (kind: ResourceKind, v: Vocabulary, spec: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<IstioDocument> =>
  fc.record({ apiVersion, kind: fc.constant(kind), metadata: metadata(v), spec }, { noNullPrototype: true });

const rootVirtualServiceSpec = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> =>
  rec(
    {
      hosts: fc.uniqueArray(v.host, { minLength: 1, maxLength: 3 }).map(withoutOverlaps),
      http: fc.array(httpRoute(v), { minLength: 1, maxLength: 3 }),
      tcp: fc.array(tcpRoute(v), { minLength: 1, maxLength: 2 }),
      exportTo: fc.constantFrom(['.'], ['*']),
    },
    ['hosts', 'http'],
  );

/** A delegate: no hosts, HTTP routes only, none delegating further. */
const delegateVirtualServiceSpec = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> =>
  rec({ http: fc.array(httpRoute(v, false), { minLength: 1, maxLength: 3 }), exportTo: fc.constantFrom(['.'], ['*']) }, ['http']);

export const virtualServiceSpec = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof({ arbitrary: rootVirtualServiceSpec(v), weight: 4 }, { arbitrary: delegateVirtualServiceSpec(v), weight: 1 });

const loadBalancer = fc.oneof(
  rec({ simple: fc.constantFrom('UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST') }, ['simple']),
  rec(
    {
      consistentHash: fc
        .tuple(
          fc.oneof(
            rec({ httpHeaderName: token }, ['httpHeaderName']),
            rec({ httpCookie: rec({ name: token, path: fc.constant('/'), ttl: duration }, ['name']) }, ['httpCookie']),
            rec({ useSourceIp: fc.boolean() }, ['useSourceIp']),
            rec({ httpQueryParameterName: token }, ['httpQueryParameterName']),
          ),
          rec({ minimumRingSize: fc.integer({ min: 0, max: 4096 }) }, []),
        )
        .map(([key, ring]) => ({ ...key, ...ring })),
    },
    ['consistentHash'],
  ),
);

const trafficPolicy = rec(
  {
    loadBalancer,
    connectionPool: rec(
      {
        tcp: rec({ maxConnections: fc.integer({ min: 0, max: 10_000 }), connectTimeout: duration }, []),
        http: rec({ http1MaxPendingRequests: fc.nat(1000), http2MaxRequests: fc.nat(1000), maxRetries: fc.nat(10), idleTimeout: duration }, []),
      },
      [],
    ).filter(nonEmpty),
    outlierDetection: rec(
      { consecutive5xxErrors: fc.nat(20), interval: duration, baseEjectionTime: duration, maxEjectionPercent: fc.integer({ min: 0, max: 100 }) },
      [],
    ),
    // MUTUAL needs client certificates: here they come from a credential.
    tls: fc.oneof(
      rec({ mode: fc.constantFrom('DISABLE', 'SIMPLE', 'ISTIO_MUTUAL'), sni: token }, ['mode']),
      rec({ mode: fc.constant('MUTUAL'), credentialName: token, sni: token }, ['mode', 'credentialName']),
    ),
  },
  [],
).filter(nonEmpty);

export const destinationRuleSpec = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> =>
  rec(
    {
      host: v.host,
      subsets: fc.uniqueArray(rec({ name: v.subset, labels: v.labels, trafficPolicy }, ['name', 'labels']), {
        selector: (s) => s.name,
        maxLength: 3,
      }),
      trafficPolicy,
      exportTo: fc.constantFrom(['.'], ['*']),
    },
    ['host'],
  );

export const workloadEntrySpec = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> =>
  rec(
    {
      address: v.address,
      ports: fc
        .uniqueArray(fc.tuple(v.servicePort, portNumber), { selector: ([p]) => p.name, maxLength: 3 })
        .map((ps) => Object.fromEntries(ps.map(([p, target]) => [p.name, target]))),
      labels: v.labels,
      network: fc.constantFrom('net-a', 'net-b'),
      locality: fc.constantFrom('us-east1/us-east1-b', 'eu-west1'),
      weight: fc.integer({ min: 0, max: 4294967295 }),
      serviceAccount: token,
    },
    ['address'],
  );

const servicePorts = (v: Vocabulary) =>
  fc.uniqueArray(
    fc.tuple(v.servicePort, rec({ protocol: fc.constantFrom('HTTP', 'GRPC', 'TCP'), targetPort: portNumber }, [])).map(([p, extra]) => ({ ...p, ...extra })),
    { selector: (p) => p.number, maxLength: 3 },
  );

/** Either a workloadSelector, inline endpoints, or neither: never both. */
export const serviceEntrySpec = (v: Vocabulary): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      rec(
        {
          hosts: fc.uniqueArray(v.host, { minLength: 1, maxLength: 2 }),
          ports: servicePorts(v),
          location: fc.constantFrom('MESH_EXTERNAL', 'MESH_INTERNAL'),
          resolution: fc.constantFrom('NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'),
          exportTo: fc.constantFrom(['.'], ['*']),
        },
        ['hosts'],
      ),
      fc.oneof(
        fc.constant({}),
        rec({ workloadSelector: rec({ labels: v.labels.filter(nonEmpty) }, ['labels']) }, ['workloadSelector']),
        rec({ endpoints: fc.array(workloadEntrySpec(v), { maxLength: 3 }) }, ['endpoints']),
      ),
    )
    .map(([base, members]) => coherentServiceEntry({ ...base, ...members }));

const isIpV4 = (a: string): boolean => /^[0-9]+(\.[0-9]+){3}$/.test(a);

/**
 * Makes the drawn fields agree the way Istio's webhook demands: endpoints only with a resolution
 * that uses them (STATIC for IPs, DNS otherwise), endpoint ports declared by the entry, DNS hosts
 * without wildcards, and several hosts only on HTTP ports (TCP cannot tell hosts apart).
 */
const coherentServiceEntry = (spec: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...spec };
  const hosts = out.hosts as string[];
  const ports = (out.ports as Array<Record<string, unknown>> | undefined) ?? [];
  const endpoints = out.endpoints as Array<Record<string, unknown>> | undefined;
  let resolution = out.resolution as string | undefined;
  if (endpoints !== undefined && endpoints.length > 0) {
    const allIp = endpoints.every((e) => isIpV4(e.address as string));
    if (resolution === undefined || resolution === 'NONE' || (resolution === 'STATIC' && !allIp)) resolution = allIp ? 'STATIC' : 'DNS';
    if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) resolution = 'DNS';
    const declared = new Set(ports.map((p) => p.name as string));
    out.endpoints = endpoints.map((e) => {
      if (e.ports === undefined) return e;
      const kept = Object.fromEntries(Object.entries(e.ports as Record<string, number>).filter(([name]) => declared.has(name)));
      const { ports: _dropped, ...rest } = e;
      return Object.keys(kept).length > 0 ? { ...rest, ports: kept } : rest;
    });
  } else if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && hosts.some((h) => h.includes('*'))) {
    resolution = 'NONE';
  }
  if (resolution !== undefined) out.resolution = resolution;
  if (hosts.length > 1 && (resolution ?? 'NONE') !== 'NONE' && ports.length > 0) out.ports = ports.map((p) => ({ ...p, protocol: 'HTTP' }));
  return out;
};

export const virtualServiceDoc = (v: Vocabulary = wide) => document('VirtualService', v, virtualServiceSpec(v));
export const destinationRuleDoc = (v: Vocabulary = wide) => document('DestinationRule', v, destinationRuleSpec(v));
export const serviceEntryDoc = (v: Vocabulary = wide) => document('ServiceEntry', v, serviceEntrySpec(v));
export const workloadEntryDoc = (v: Vocabulary = wide) => document('WorkloadEntry', v, workloadEntrySpec(v));

export const resourceDoc = (v: Vocabulary = wide): fc.Arbitrary<IstioDocument> =>
  fc.oneof(virtualServiceDoc(v), destinationRuleDoc(v), serviceEntryDoc(v), workloadEntryDoc(v));

/** A resource as the codec hands it over (decoded), ready to go into a ChangeSet. */
export const meshResource = (v: Vocabulary = wide): fc.Arbitrary<MeshResource> => resourceDoc(v).map((d) => mustDecode(d));

export const change = (v: Vocabulary = wide): fc.Arbitrary<Change> =>
  fc.oneof(
    { arbitrary: meshResource(v).map((resource): Change => ({ op: 'apply', resource })), weight: 3 },
    {
      arbitrary: fc
        .record({ kind: fc.constantFrom(...resourceKindNames), namespace: v.namespace, name: v.name }, { noNullPrototype: true })
        .map((ref): Change => ({ op: 'delete', ref })),
      weight: 1,
    },
  );

const instant = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
const actor = fc.constantFrom('user:alice', 'user:bob', 'spiffe://cluster.local/ns/istio-system/sa/galley');

export const changeSetBody = (v: Vocabulary = wide): fc.Arbitrary<ChangeSetBody> =>
  fc
    .tuple(
      fc.record({ id: fc.uuid(), at: instant, actor, changes: fc.array(change(v), { minLength: 1, maxLength: 4 }) }, { noNullPrototype: true }),
      rec({ reason: fc.string({ maxLength: 20 }), rollbackOf: fc.integer({ min: 1, max: 1000 }), requestId: fc.uuid() }, []),
    )
    .map(([body, extra]) => ({ ...body, type: 'ChangeSet' as const, ...extra }));

export const changeSet = (v: Vocabulary = wide): fc.Arbitrary<ChangeSet> =>
  fc
    .tuple(changeSetBody(v), fc.oneof(fc.constant(GENESIS_HASH), fc.stringMatching(/^[0-9a-f]{64}$/)))
    .map(([body, prev]) => ({ ...body, prev }));

export const registryEvent = (v: Vocabulary = wide): fc.Arbitrary<RegistryEvent> => {
  const base = { id: fc.uuid(), at: instant, actor, namespace: v.namespace, name: v.name };
  const workload = workloadEntrySpec(v) as unknown as fc.Arbitrary<Extract<RegistryEvent, { workload: unknown }>['workload']>;
  return fc.oneof(
    { arbitrary: fc.record({ ...base, type: fc.constantFrom('WorkloadRegistered' as const, 'WorkloadUpdated' as const), workload }, { noNullPrototype: true }), weight: 3 },
    { arbitrary: fc.record({ ...base, type: fc.constant('WorkloadRemoved' as const) }, { noNullPrototype: true }), weight: 1 },
  );
};

/** MESH_CONFIG from sequence 1: consecutive seqs, each `prev` the hash of the ChangeSet before it. */
export const configLog = (v: Vocabulary = mesh, maxLength = 8): fc.Arbitrary<LogEvent[]> =>
  fc.array(changeSetBody(v), { maxLength }).map((bodies) => chainConfigLog(bodies));

/** MESH_REGISTRY from sequence 1. */
export const registryLogOf = (v: Vocabulary = mesh, maxLength = 8): fc.Arbitrary<LogEvent[]> =>
  fc.array(registryEvent(v), { maxLength }).map((events) => registryLog(events));

/** Both streams, and one way a consumer could see them merged (each stream's own order kept). */
export interface TwoStreams {
  readonly config: LogEvent[];
  readonly registry: LogEvent[];
  readonly merged: LogEvent[];
}

export const interleave = (config: readonly LogEvent[], registry: readonly LogEvent[], takeConfig: readonly boolean[]): LogEvent[] => {
  const out: LogEvent[] = [];
  let c = 0;
  let r = 0;
  for (const pickConfig of takeConfig) {
    if ((pickConfig && c < config.length) || r >= registry.length) out.push(config[c++]!);
    else out.push(registry[r++]!);
  }
  return out;
};

export const mergeOrder = (config: readonly LogEvent[], registry: readonly LogEvent[]): fc.Arbitrary<LogEvent[]> => {
  const n = config.length + registry.length;
  return fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((picks) => interleave(config, registry, picks));
};

export const twoStreams = (v: Vocabulary = mesh): fc.Arbitrary<TwoStreams> =>
  fc
    .tuple(configLog(v), registryLogOf(v))
    .chain(([config, registry]) => mergeOrder(config, registry).map((merged) => ({ config, registry, merged })));
