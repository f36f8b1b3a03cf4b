import { durationMs } from './codec/istio-fields.js';
import { fqdn, outboundClusterName } from './hostname.js';
import type { MeshState, StoredResource } from './mesh-state.js';
import { type DestinationRule, type ServiceEntry, type VirtualService, type WorkloadEntry, refOf, resourceKey } from './resource.js';
import type { Subset, TrafficPolicy } from './resources/destination-rule.js';
import { boundToMesh, type HTTPMatchRequest, type HTTPRoute } from './resources/virtual-service.js';
import type { WorkloadEntrySpec } from './resources/workload-entry.js';
import { delegatedRoutes, delegatesNamedBy, type VirtualServiceLookup } from './virtual-service-delegation.js';
import type { EffectiveTrafficPolicy, Endpoint, MirrorDestination, RouteMatch, RouteRule, RoutingSnapshot, ServicePortInfo, WeightedDestination } from './routing-snapshot.js';

/*
 * derive(MeshState) → snapshots. Pure and deterministic: inputs are visited in a fixed order
 * (creation sequence, then key) and every output list is sorted, so the same events give
 * byte-identical snapshots on every replica.
 */

export interface Service {
  readonly host: string;
  readonly namespace: string;
  readonly source: string;
  readonly ports: readonly ServicePortInfo[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly inline?: readonly WorkloadEntrySpec[];
}

export interface Workload {
  readonly namespace: string;
  readonly id: string;
  readonly spec: WorkloadEntrySpec;
}

/** Who claims each host; the oldest resource wins, as in Istio. */
export interface MeshIndex {
  readonly services: ReadonlyMap<string, Service>;
  readonly virtualServices: ReadonlyMap<string, VirtualService>;
  /** Every VirtualService by namespace and name: how delegating routes find their delegate. */
  readonly virtualServiceNamed: VirtualServiceLookup;
  /** Delegate (`namespace/name`) → hosts of the mesh routes that delegate to it. */
  readonly delegatingHosts: ReadonlyMap<string, readonly string[]>;
  readonly destinationRules: ReadonlyMap<string, DestinationRule>;
  /** Workloads by `namespace \0 label=value`: a selector reads one posting list, not every workload. */
  readonly workloadsByLabel: ReadonlyMap<string, readonly Workload[]>;
  readonly shadowed: ReadonlyMap<string, string[]>;
  /** Endpoints per service port, computed once per derivation (several routes name the same cluster). */
  readonly endpointCache: Map<string, Endpoint[]>;
}

const labelPostingKey = (namespace: string, key: string, value: string): string => `${namespace}\0${key}=${value}`;

const indexWorkloads = (workloads: readonly Workload[]): Map<string, Workload[]> => {
  const byLabel = new Map<string, Workload[]>();
  for (const w of workloads) {
    const inNamespace = byLabel.get(`${w.namespace}\0`);
    if (inNamespace === undefined) byLabel.set(`${w.namespace}\0`, [w]);
    else inNamespace.push(w);
    for (const [k, v] of Object.entries(w.spec.labels ?? {})) {
      const key = labelPostingKey(w.namespace, k, v);
      const list = byLabel.get(key);
      if (list === undefined) byLabel.set(key, [w]);
      else list.push(w);
    }
  }
  return byLabel;
};

/** Workloads in `namespace` carrying every label of `selector`, in registration order. */
const selectWorkloads = (index: MeshIndex, namespace: string, selector: Readonly<Record<string, string>>): readonly Workload[] => {
  const entries = Object.entries(selector);
  // An empty selector selects the whole namespace (the posting list of the namespace alone).
  let smallest: readonly Workload[] | undefined = entries.length === 0 ? index.workloadsByLabel.get(`${namespace}\0`) : undefined;
  for (const [k, v] of entries) {
    const list = index.workloadsByLabel.get(labelPostingKey(namespace, k, v)) ?? [];
    if (smallest === undefined || list.length < smallest.length) smallest = list;
  }
  return (smallest ?? []).filter((w) => matchesLabels(w.spec.labels, selector));
};

const keyOf = (s: StoredResource): string => resourceKey(refOf(s.resource));
/** Oldest first; resources created by the same ChangeSet are ordered by key, never by Map order. */
const byAge = (a: { s: StoredResource; key: string }, b: { s: StoredResource; key: string }): number =>
  a.s.createdAt !== b.s.createdAt ? a.s.createdAt - b.s.createdAt : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

const ofKind = <K extends StoredResource['resource']['kind']>(state: MeshState, kind: K) =>
  [...state.resources.values()]
    .filter((s) => s.resource.kind === kind)
    .map((s) => ({ s, key: keyOf(s) }))
    .sort((a, b) => byAge(a, b))
    .map(({ s }) => s) as Array<
    StoredResource & { resource: Extract<StoredResource['resource'], { kind: K }> }
  >;

const nsName = (r: { metadata: { namespace: string; name: string } }): string => `${r.metadata.namespace}/${r.metadata.name}`;

export const buildIndex = (state: MeshState): MeshIndex => {
  const shadowed = new Map<string, string[]>();
  const claim = <V>(map: Map<string, V>, host: string, value: V, what: string) => {
    if (map.has(host)) shadowed.set(host, [...(shadowed.get(host) ?? []), what]);
    else map.set(host, value);
  };
  const services = new Map<string, Service>();
  for (const { resource: se } of ofKind(state, 'ServiceEntry') as Array<{ resource: ServiceEntry }>) {
    for (const h of se.spec.hosts) {
      const host = fqdn(h, se.metadata.namespace);
      const ports = (se.spec.ports ?? []).map((p) => ({ number: p.number, name: p.name, ...(p.protocol ? { protocol: p.protocol } : {}), ...(p.targetPort ? { targetPort: p.targetPort } : {}) }));
      claim(services, host, {
        host,
        namespace: se.metadata.namespace,
        source: nsName(se),
        ports: [...ports].sort((a, b) => a.number - b.number),
        ...(se.spec.workloadSelector ? { selector: se.spec.workloadSelector.labels } : {}),
        ...(se.spec.endpoints ? { inline: se.spec.endpoints } : {}),
      }, `ServiceEntry ${nsName(se)}`);
    }
  }
  const virtualServices = new Map<string, VirtualService>();
  const delegatingHosts = new Map<string, string[]>();
  for (const { resource: vs } of ofKind(state, 'VirtualService') as Array<{ resource: VirtualService }>) {
    // A VirtualService bound only to gateways shapes those gateways' routes, not sidecars'.
    if (!boundToMesh(vs.spec.gateways)) continue;
    const hosts = (vs.spec.hosts ?? []).map((h) => fqdn(h, vs.metadata.namespace));
    for (const h of hosts) claim(virtualServices, h, vs, `VirtualService ${nsName(vs)}`);
    for (const d of delegatesNamedBy(vs)) delegatingHosts.set(d, [...(delegatingHosts.get(d) ?? []), ...hosts]);
  }
  const virtualServiceNamed: VirtualServiceLookup = (namespace, name) => {
    const stored = state.resources.get(resourceKey({ kind: 'VirtualService', namespace, name }));
    return stored?.resource.kind === 'VirtualService' ? stored.resource : undefined;
  };
  const destinationRules = new Map<string, DestinationRule>();
  for (const { resource: dr } of ofKind(state, 'DestinationRule') as Array<{ resource: DestinationRule }>) {
    claim(destinationRules, fqdn(dr.spec.host, dr.metadata.namespace), dr, `DestinationRule ${nsName(dr)}`);
  }
  const workloads: Workload[] = [
    ...(ofKind(state, 'WorkloadEntry') as Array<{ resource: WorkloadEntry }>).map(({ resource: we }) => ({
      namespace: we.metadata.namespace,
      id: `WorkloadEntry ${nsName(we)}`,
      spec: { ...we.spec, labels: { ...(we.metadata.labels ?? {}), ...(we.spec.labels ?? {}) } },
    })),
    ...[...state.workloads.values()]
      .sort((a, b) => a.registrySeq - b.registrySeq)
      .map((w) => ({ namespace: w.namespace, id: `registry ${w.namespace}/${w.name}`, spec: w.workload })),
  ];
  return { services, virtualServices, virtualServiceNamed, delegatingHosts, destinationRules, workloadsByLabel: indexWorkloads(workloads), shadowed, endpointCache: new Map() };
};

export const matchesLabels = (labels: Readonly<Record<string, string>> | undefined, selector: Readonly<Record<string, string>>): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const compareEndpoints = (a: Endpoint, b: Endpoint): number =>
  a.address !== b.address ? (a.address < b.address ? -1 : 1) : a.port !== b.port ? a.port - b.port : a.workload < b.workload ? -1 : a.workload > b.workload ? 1 : 0;

/** Endpoints of a service port: the target port is the workload's named port, else targetPort, else the port itself. */
const endpointsOf = (index: MeshIndex, service: Service, port: ServicePortInfo | undefined): Endpoint[] => {
  const cacheKey = `${service.host}|${port?.number ?? ''}`;
  const cached = index.endpointCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const candidates: ReadonlyArray<{ id: string; spec: WorkloadEntrySpec }> = service.inline
    ? service.inline.map((spec, i) => ({ id: `ServiceEntry ${service.source}#${i}`, spec }))
    : service.selector
      ? selectWorkloads(index, service.namespace, service.selector)
      : [];
  // A workload without address is on another network: Jetmesh serves one network, so it is no endpoint here.
  const endpoints = candidates
    .flatMap(({ id, spec }) => (spec.address === undefined || spec.address === '' ? [] : [{ id, spec, address: spec.address }]))
    .map(({ id, spec, address }) => ({
      address,
      port: (port ? spec.ports?.[port.name] ?? port.targetPort ?? port.number : 0),
      labels: spec.labels ?? {},
      workload: id,
      ...(spec.weight !== undefined ? { weight: spec.weight } : {}),
      ...(spec.serviceAccount !== undefined ? { serviceAccount: spec.serviceAccount } : {}),
      ...(spec.locality !== undefined ? { locality: spec.locality } : {}),
    }))
    .sort(compareEndpoints);
  index.endpointCache.set(cacheKey, endpoints);
  return endpoints;
};

const subsetOf = (index: MeshIndex, host: string, name: string): Subset | undefined =>
  index.destinationRules.get(host)?.spec.subsets?.find((s) => s.name === name);

const resolveDestination = (
  index: MeshIndex,
  dest: { host: string; subset?: string; port?: number },
  weight: number,
  warnings: string[],
): WeightedDestination => {
  const service = index.services.get(dest.host);
  const port = dest.port !== undefined ? service?.ports.find((p) => p.number === dest.port) : service?.ports[0];
  if (dest.port === undefined && service !== undefined && service.ports.length > 1) {
    warnings.push(`destination ${dest.host} has several ports and names none; using ${port?.number}`);
  }
  const portNumber = dest.port ?? port?.number;
  let endpoints = service ? endpointsOf(index, service, port) : [];
  if (service !== undefined && dest.port !== undefined && port === undefined) {
    warnings.push(`destination port ${dest.port} is not declared by ${dest.host}`);
    endpoints = [];
  }
  const rule = index.destinationRules.get(dest.host);
  const subset = dest.subset !== undefined ? subsetOf(index, dest.host, dest.subset) : undefined;
  if (dest.subset !== undefined) {
    if (subset === undefined) {
      warnings.push(`subset "${dest.subset}" of ${dest.host} is not defined by any DestinationRule`);
      endpoints = [];
    } else {
      endpoints = endpoints.filter((e) => matchesLabels(e.labels, subset.labels ?? {}));
    }
  }
  const cluster = outboundClusterName(dest.host, portNumber, dest.subset);
  if (service === undefined) warnings.push(`destination host ${dest.host} is not a known service`);
  else if (endpoints.length === 0 && weight > 0) warnings.push(`no endpoints for ${cluster}`);
  const loadBalancer = subset?.trafficPolicy?.loadBalancer ?? rule?.spec.trafficPolicy?.loadBalancer;
  const trafficPolicy = effectiveTrafficPolicy(rule?.spec.trafficPolicy, subset?.trafficPolicy, portNumber);
  return {
    host: dest.host,
    ...(dest.subset !== undefined ? { subset: dest.subset } : {}),
    ...(portNumber !== undefined ? { port: portNumber } : {}),
    weight,
    cluster,
    ...(loadBalancer !== undefined ? { loadBalancer } : {}),
    ...(trafficPolicy !== undefined ? { trafficPolicy } : {}),
    endpoints,
  };
};

const POLICY_FIELDS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'tunnel', 'proxyProtocol'] as const;
const PORT_POLICY_FIELDS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;

/** `policy` with the fields its portLevelSettings entry for `port` sets overriding its own. */
const atPort = (policy: TrafficPolicy | undefined, port: number | undefined): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  if (policy === undefined) return out;
  for (const f of POLICY_FIELDS) if (policy[f] !== undefined) out[f] = policy[f];
  const entry = port === undefined ? undefined : policy.portLevelSettings?.find((p) => p.port.number === port);
  if (entry !== undefined) for (const f of PORT_POLICY_FIELDS) if (entry[f] !== undefined) out[f] = entry[f];
  return out;
};

/**
 * Istio's MergeTrafficPolicy: the DestinationRule's policy (with its port-level entry for the
 * port), overridden field by field by the subset's (with the subset's port-level entry).
 */
export const effectiveTrafficPolicy = (top: TrafficPolicy | undefined, subset: TrafficPolicy | undefined, port: number | undefined): EffectiveTrafficPolicy | undefined => {
  if (top === undefined && subset === undefined) return undefined;
  const merged = { ...atPort(top, port), ...atPort(subset, port) };
  return Object.keys(merged).length === 0 ? undefined : (merged as EffectiveTrafficPolicy);
};

/** Where a route table is used: the sidecars of the mesh, or one gateway (`namespace/name`). */
export type RouteContext = { readonly kind: 'mesh' } | { readonly kind: 'gateway'; readonly gateway: string };
export const MESH_CONTEXT: RouteContext = { kind: 'mesh' };

/** Istio's gateway reference: `mesh`, `ns/name`, `name` (in the referring namespace) or the legacy `name.ns…`. */
export const resolveGatewayName = (name: string, namespace: string): string => {
  if (name === 'mesh') return name;
  const slash = name.indexOf('/');
  if (slash >= 0) return name;
  const dot = name.indexOf('.');
  if (dot < 0) return `${namespace}/${name}`;
  const [gw, ns] = name.split('.');
  return `${ns}/${gw}`;
};

/** Whether a match applies in `context`: a match naming gateways applies only there. */
const matchApplies = (m: HTTPMatchRequest, namespace: string, context: RouteContext): boolean => {
  if (m.gateways === undefined || m.gateways.length === 0) return true;
  const wanted = context.kind === 'mesh' ? 'mesh' : context.gateway;
  return m.gateways.some((g) => resolveGatewayName(g, namespace) === wanted);
};

const destinationRef = (d: { host: string; subset?: string; port?: { number: number } }, ns: string) => ({
  host: fqdn(d.host, ns),
  ...(d.subset !== undefined ? { subset: d.subset } : {}),
  ...(d.port !== undefined ? { port: d.port.number } : {}),
});

const routeMatch = (m: HTTPMatchRequest): RouteMatch => ({
  ...(m.name !== undefined ? { name: m.name } : {}),
  ...(m.uri !== undefined ? { uri: m.uri } : {}),
  ...(m.method !== undefined ? { method: m.method } : {}),
  ...(m.authority !== undefined ? { authority: m.authority } : {}),
  ...(m.headers !== undefined ? { headers: m.headers } : {}),
  ...(m.queryParams !== undefined ? { queryParams: m.queryParams } : {}),
  ...(m.port !== undefined ? { port: m.port } : {}),
  ...(m.ignoreUriCase !== undefined ? { ignoreUriCase: m.ignoreUriCase } : {}),
  ...(m.scheme !== undefined ? { scheme: m.scheme } : {}),
  ...(m.withoutHeaders !== undefined ? { withoutHeaders: m.withoutHeaders } : {}),
  ...(m.sourceLabels !== undefined ? { sourceLabels: m.sourceLabels } : {}),
  ...(m.sourceNamespace !== undefined ? { sourceNamespace: m.sourceNamespace } : {}),
  ...(m.gateways !== undefined ? { gateways: m.gateways } : {}),
});

/** `mirror` + `mirrorPercentage` (or the deprecated `mirrorPercent`), or `mirrors[]`; Istio's default percentage is 100. */
const mirrorsOf = (index: MeshIndex, http: HTTPRoute, ns: string, warnings: string[]): MirrorDestination[] => {
  const policies =
    http.mirrors !== undefined
      ? http.mirrors.map((m) => ({ destination: m.destination, percentage: m.percentage?.value ?? 100 }))
      : http.mirror !== undefined
        ? [{ destination: http.mirror, percentage: http.mirrorPercentage?.value ?? http.mirrorPercent ?? 100 }]
        : [];
  return policies.map((p) => ({ ...resolveDestination(index, destinationRef(p.destination, ns), 100, warnings), percentage: p.percentage }));
};

/**
 * One HTTPRoute as a route rule for `context`, or undefined when none of its matches applies
 * there (a match naming other gateways).
 */
export const routeRule = (index: MeshIndex, vs: VirtualService, http: HTTPRoute, warnings: string[], context: RouteContext = MESH_CONTEXT): RouteRule | undefined => {
  const ns = vs.metadata.namespace;
  const matches = (http.match ?? []).filter((m) => matchApplies(m, ns, context));
  if (http.match !== undefined && http.match.length > 0 && matches.length === 0) return undefined;
  const route = http.route ?? [];
  const destinations = route.map((d) => {
    const resolved = resolveDestination(
      index,
      destinationRef(d.destination, ns),
      // A rule's only destination takes all traffic, whatever weight it names (Istio's rule).
      route.length === 1 ? 100 : (d.weight ?? 0),
      warnings,
    );
    return d.headers !== undefined ? { ...resolved, headers: d.headers } : resolved;
  });
  const mirrors = mirrorsOf(index, http, ns, warnings);
  const timeoutMs = http.timeout !== undefined ? durationMs(http.timeout) : undefined;
  const perTry = http.retries?.perTryTimeout !== undefined ? durationMs(http.retries.perTryTimeout) : undefined;
  return {
    ...(http.name !== undefined ? { name: http.name } : {}),
    match: matches.map(routeMatch),
    destinations,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(http.retries !== undefined
      ? {
          retries: {
            attempts: http.retries.attempts ?? 0,
            ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}),
            ...(http.retries.retryOn !== undefined ? { retryOn: http.retries.retryOn } : {}),
          },
        }
      : {}),
    ...(http.fault !== undefined ? { fault: http.fault } : {}),
    ...(http.redirect !== undefined ? { redirect: http.redirect } : {}),
    ...(http.directResponse !== undefined
      ? { directResponse: { status: http.directResponse.status, ...(http.directResponse.body?.string !== undefined ? { body: http.directResponse.body.string } : {}) } }
      : {}),
    ...(http.rewrite !== undefined ? { rewrite: http.rewrite } : {}),
    ...(http.headers !== undefined ? { headers: http.headers } : {}),
    ...(mirrors.length > 0 ? { mirrors } : {}),
    ...(http.corsPolicy !== undefined ? { corsPolicy: http.corsPolicy } : {}),
  };
};

/**
 * The route table of a VirtualService for `context`: its HTTP routes whose matches apply there,
 * delegating routes replaced by their delegates' routes.
 */
export const routeRules = (index: MeshIndex, vs: VirtualService, warnings: string[], context: RouteContext = MESH_CONTEXT): RouteRule[] =>
  delegatedRoutes(index.virtualServiceNamed, vs, warnings).flatMap((h) => {
    const rule = routeRule(index, vs, h, warnings, context);
    return rule === undefined ? [] : [rule];
  });

export const deriveHost = (index: MeshIndex, host: string): RoutingSnapshot => {
  const warnings: string[] = [];
  const service = index.services.get(host);
  const vs = index.virtualServices.get(host);
  const dr = index.destinationRules.get(host);
  const fromVs = vs?.spec.http !== undefined ? routeRules(index, vs, warnings) : [];
  if (vs?.spec.http !== undefined && fromVs.length === 0) {
    warnings.push(`VirtualService ${nsName(vs)} has no HTTP route for the mesh (its matches name gateways only); the default route is used`);
  }
  // As Istio: a VirtualService that yields no route leaves the host its default route.
  const routes: RouteRule[] = fromVs.length > 0 ? fromVs : [{ match: [], destinations: [resolveDestination(index, { host }, 100, warnings)] }];
  for (const other of index.shadowed.get(host) ?? []) warnings.push(`${other} also claims ${host}; the older resource wins`);
  const endpoints = service
    ? service.ports.length === 0
      ? endpointsOf(index, service, undefined)
      : service.ports.flatMap((p) => endpointsOf(index, service, p)).sort(compareEndpoints)
    : [];
  return {
    host,
    ports: service?.ports ?? [],
    sources: {
      ...(service ? { serviceEntry: service.source } : {}),
      ...(vs ? { virtualService: nsName(vs) } : {}),
      ...(dr ? { destinationRule: nsName(dr) } : {}),
    },
    routes,
    subsets: (dr?.spec.subsets ?? []).map((s) => ({ name: s.name, labels: s.labels ?? {} })),
    ...(dr?.spec.trafficPolicy !== undefined ? { trafficPolicy: dr.spec.trafficPolicy } : {}),
    endpoints,
    warnings: [...new Set(warnings)].sort(),
  };
};

/** Every routable host: those a ServiceEntry declares and those a VirtualService routes (wildcards excluded). */
export const routableHosts = (index: MeshIndex): string[] =>
  [...new Set([...index.services.keys(), ...index.virtualServices.keys()])].filter((h) => !h.includes('*')).sort();

/** All snapshots, keyed by host, in host order. */
export const deriveSnapshots = (state: MeshState): ReadonlyMap<string, RoutingSnapshot> => {
  const index = buildIndex(state);
  return new Map(routableHosts(index).map((h) => [h, deriveHost(index, h)]));
};
