import { isIP } from 'node:net';
import {
  canonicalJson,
  contentHash,
  durationMs,
  outboundClusterName,
  type Endpoint,
  type LoadBalancerSettings,
  type RouteMatch as SnapshotMatch,
  type RouteRule,
  type RoutingSnapshot,
  type ServicePortInfo,
  type StringMatch,
  type TrafficPolicy,
} from '@jetmesh/model';
import type {
  Cluster,
  ClusterLoadAssignment,
  Duration,
  FractionalPercent,
  HashPolicy,
  HeaderMatcher,
  HttpFault,
  LbEndpoint,
  Listener,
  LocalityLbEndpoints,
  OutlierDetection,
  RedirectResponseCode,
  Route,
  RouteAction,
  RouteConfiguration,
  RouteMatch,
  StringMatcher,
} from './envoy-resources.js';
import { listenerName, virtualHostDomains } from './listener-name.js';
import { ExtensionTypeUrls, HttpFilterNames } from './type-urls.js';

/*
 * toXds(snapshot) → Envoy resources: pure, no I/O, deterministic. One host's RoutingSnapshot
 * becomes, per service port, a Listener `host:port` (an api_listener whose HttpConnectionManager
 * names its RouteConfiguration over ADS), that RouteConfiguration, and every cluster its routes
 * send traffic to (`outbound|PORT|SUBSET|HOST`, type EDS) with its ClusterLoadAssignment.
 */

/** Everything one host contributes to the xDS resources. */
export interface HostXds {
  readonly host: string;
  readonly listeners: readonly Listener[];
  readonly routeConfigurations: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly loadAssignments: readonly ClusterLoadAssignment[];
  /**
   * Clusters whose endpoints are a best guess: a port of a multi-port service that no route names,
   * where the snapshot does not say which endpoint serves which port. Another host's exact copy wins.
   */
  readonly approximate: readonly string[];
  /** Other hosts whose traffic policy shaped these clusters: a change there means translating this host again. */
  readonly dependsOn: readonly string[];
}

/** A destination host's DestinationRule traffic policy (from that host's own snapshot). */
export type TrafficPolicyOf = (host: string) => TrafficPolicy | undefined;

/** What Istio retries on when a VirtualService sets attempts without retryOn. */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const UINT32_MAX = 4_294_967_295;

const ads = { ads: {}, resource_api_version: 'V3' } as const;

export const durationOf = (ms: number): Duration => {
  const whole = Math.max(0, Math.round(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
};

const ZERO: Duration = durationOf(0);

/** The Listener a client subscribed to as `name`, routing with `routeConfigName`: aliases share one route table. */
export const listenerFor = (name: string, routeConfigName: string): Listener => ({
  name,
  api_listener: {
    api_listener: {
      '@type': ExtensionTypeUrls.httpConnectionManager,
      stat_prefix: routeConfigName,
      rds: { config_source: ads, route_config_name: routeConfigName },
      http_filters: [
        // Empty at the top: each route carries its own fault config, so routes without one are untouched.
        { name: HttpFilterNames.fault, typed_config: { '@type': ExtensionTypeUrls.fault } },
        { name: HttpFilterNames.router, typed_config: { '@type': ExtensionTypeUrls.router } },
      ],
    },
  },
});

const stringMatcher = (m: StringMatch): StringMatcher =>
  m.exact !== undefined ? { exact: m.exact } : m.prefix !== undefined ? { prefix: m.prefix } : { safe_regex: { regex: m.regex ?? '' } };

const routeMatch = (m: SnapshotMatch | undefined): RouteMatch => {
  const path: RouteMatch =
    m?.uri?.exact !== undefined
      ? { path: m.uri.exact }
      : m?.uri?.regex !== undefined
        ? { safe_regex: { regex: m.uri.regex } }
        : { prefix: m?.uri?.prefix ?? '/' };
  const headers: HeaderMatcher[] = [
    ...Object.entries(m?.headers ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, match]) => ({ name, string_match: stringMatcher(match) })),
    // Istio matches method and authority as HTTP/2 pseudo-headers.
    ...(m?.method !== undefined ? [{ name: ':method', string_match: stringMatcher(m.method) }] : []),
    ...(m?.authority !== undefined ? [{ name: ':authority', string_match: stringMatcher(m.authority) }] : []),
  ];
  const query = Object.entries(m?.queryParams ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, match]) => ({ name, string_match: stringMatcher(match) }));
  return {
    ...path,
    ...(m?.ignoreUriCase === true ? { case_sensitive: { value: false } } : {}),
    ...(headers.length > 0 ? { headers } : {}),
    ...(query.length > 0 ? { query_parameters: query } : {}),
  };
};

/** Istio's `percentage.value` (a double, 0–100) as Envoy's fraction per million; absent means always. */
const fractionOf = (percentage: { value: number } | undefined, percent?: number): FractionalPercent =>
  percentage !== undefined
    ? { numerator: Math.round(percentage.value * 10_000), denominator: 'MILLION' }
    : { numerator: percent ?? 100, denominator: 'HUNDRED' };

const GRPC_STATUS: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** A gRPC status as Istio accepts it: a code name (`UNAVAILABLE`) or its number; anything else is UNKNOWN. */
export const grpcStatusCode = (status: string): number => {
  const byName = GRPC_STATUS[status.toUpperCase()];
  if (byName !== undefined) return byName;
  const n = Number(status);
  return Number.isInteger(n) && n >= 0 && n <= 16 ? n : GRPC_STATUS.UNKNOWN!;
};

const httpFault = (fault: NonNullable<RouteRule['fault']>): HttpFault | undefined => {
  const delayMs = fault.delay?.fixedDelay !== undefined ? durationMs(fault.delay.fixedDelay) : undefined;
  const delay = fault.delay !== undefined && delayMs !== undefined ? { fixed_delay: durationOf(delayMs), percentage: fractionOf(fault.delay.percentage, fault.delay.percent) } : undefined;
  const abortStatus =
    fault.abort?.grpcStatus !== undefined ? { grpc_status: grpcStatusCode(fault.abort.grpcStatus) } : fault.abort?.httpStatus !== undefined ? { http_status: fault.abort.httpStatus } : undefined;
  const abort = fault.abort !== undefined && abortStatus !== undefined ? { ...abortStatus, percentage: fractionOf(fault.abort.percentage) } : undefined;
  if (delay === undefined && abort === undefined) return undefined;
  return { '@type': ExtensionTypeUrls.fault, ...(delay !== undefined ? { delay } : {}), ...(abort !== undefined ? { abort } : {}) };
};

const hashPolicy = (lb: LoadBalancerSettings | undefined): HashPolicy[] | undefined => {
  const ch = lb?.consistentHash;
  if (ch === undefined) return undefined;
  if (ch.httpHeaderName !== undefined) return [{ header: { header_name: ch.httpHeaderName } }];
  if (ch.httpCookie !== undefined) {
    const ttlMs = ch.httpCookie.ttl !== undefined ? durationMs(ch.httpCookie.ttl) : undefined;
    return [
      {
        cookie: {
          name: ch.httpCookie.name,
          ...(ch.httpCookie.path !== undefined ? { path: ch.httpCookie.path } : {}),
          ...(ttlMs !== undefined ? { ttl: durationOf(ttlMs) } : {}),
        },
      },
    ];
  }
  if (ch.useSourceIp === true) return [{ connection_properties: { source_ip: true } }];
  if (ch.httpQueryParameterName !== undefined) return [{ query_parameter: { name: ch.httpQueryParameterName } }];
  return undefined;
};

const REDIRECT_CODES: Readonly<Record<number, RedirectResponseCode>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/** Where a route sends traffic, with what it needs to build the cluster. */
interface ClusterPlan {
  readonly name: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly loadBalancer: LoadBalancerSettings | undefined;
  readonly endpoints: readonly Endpoint[];
  readonly approximate: boolean;
}

const routeAction = (rule: RouteRule): Pick<Route, 'route' | 'redirect' | 'direct_response'> => {
  if (rule.redirect !== undefined) {
    return {
      redirect: {
        ...(rule.redirect.uri !== undefined ? { path_redirect: rule.redirect.uri } : {}),
        ...(rule.redirect.prefixRewrite !== undefined ? { prefix_rewrite: rule.redirect.prefixRewrite } : {}),
        ...(rule.redirect.authority !== undefined ? { host_redirect: rule.redirect.authority } : {}),
        response_code: REDIRECT_CODES[rule.redirect.redirectCode ?? 301] ?? 'MOVED_PERMANENTLY',
      },
    };
  }
  if (rule.directResponse !== undefined) {
    return { direct_response: { status: rule.directResponse.status, ...(rule.directResponse.body !== undefined ? { body: { inline_string: rule.directResponse.body } } : {}) } };
  }
  // Zero-weight destinations take no traffic; Istio leaves them out of the split.
  const live = rule.destinations.filter((d) => d.weight > 0);
  const targets = live.length > 0 ? live : rule.destinations;
  const [first] = targets;
  if (first === undefined) return { direct_response: { status: 503, body: { inline_string: 'no destination' } } };
  const timeout = rule.timeoutMs !== undefined ? durationOf(rule.timeoutMs) : undefined;
  const retries = rule.retries !== undefined && rule.retries.attempts > 0 ? rule.retries : undefined;
  const hash = hashPolicy(first.loadBalancer);
  const action: RouteAction = {
    ...(targets.length === 1 ? { cluster: first.cluster } : { weighted_clusters: { clusters: targets.map((d) => ({ name: d.cluster, weight: { value: d.weight } })) } }),
    // Envoy's default route timeout is 15 s; Istio's is none.
    timeout: timeout ?? ZERO,
    ...(timeout !== undefined ? { max_stream_duration: { max_stream_duration: timeout, grpc_timeout_header_max: timeout } } : {}),
    ...(retries !== undefined
      ? {
          retry_policy: {
            retry_on: retries.retryOn ?? DEFAULT_RETRY_ON,
            num_retries: { value: retries.attempts },
            ...(retries.perTryTimeoutMs !== undefined ? { per_try_timeout: durationOf(retries.perTryTimeoutMs) } : {}),
          },
        }
      : {}),
    ...(hash !== undefined ? { hash_policy: hash } : {}),
    ...(rule.rewrite?.uri !== undefined ? { prefix_rewrite: rule.rewrite.uri } : {}),
    ...(rule.rewrite?.authority !== undefined ? { host_rewrite_literal: rule.rewrite.authority } : {}),
  };
  return { route: action };
};

const envoyRoute = (rule: RouteRule, match: SnapshotMatch | undefined, name: string): Route => {
  const fault = rule.fault !== undefined && rule.redirect === undefined && rule.directResponse === undefined ? httpFault(rule.fault) : undefined;
  return {
    // grpc-js-xds 1.14.1 compares a new route table with the old one only over the old one's keys and
    // bytes, so a fault added to a route (a new map key, a longer Any) looks unchanged and is
    // ignored. The fault's digest in the route name makes every fault change visible to it.
    name: fault === undefined ? name : `${name}~fault-${contentHash(fault).slice(0, 8)}`,
    match: routeMatch(match),
    ...routeAction(rule),
    ...(fault !== undefined ? { typed_per_filter_config: { [HttpFilterNames.fault]: fault } } : {}),
  };
};

const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

const lbPolicyOf = (lb: LoadBalancerSettings | undefined): Pick<Cluster, 'type' | 'lb_policy' | 'load_balancing_policy' | 'ring_hash_lb_config'> => {
  if (lb?.consistentHash !== undefined) {
    return {
      type: 'EDS',
      lb_policy: 'RING_HASH',
      ...(lb.consistentHash.minimumRingSize !== undefined ? { ring_hash_lb_config: { minimum_ring_size: { value: lb.consistentHash.minimumRingSize } } } : {}),
    };
  }
  switch (lb?.simple) {
    case 'LEAST_REQUEST':
    case 'LEAST_CONN':
      // The typed policy list lets a client without least-request (gRPC) fall back to round robin (gRFC A52).
      return {
        type: 'EDS',
        lb_policy: 'LEAST_REQUEST',
        load_balancing_policy: {
          policies: [
            { typed_extension_config: { name: 'envoy.load_balancing_policies.least_request', typed_config: { '@type': ExtensionTypeUrls.leastRequest } } },
            { typed_extension_config: { name: 'envoy.load_balancing_policies.round_robin', typed_config: { '@type': ExtensionTypeUrls.roundRobin } } },
          ],
        },
      };
    case 'RANDOM':
      return { type: 'EDS', lb_policy: 'RANDOM' };
    case 'PASSTHROUGH':
      return { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
    default:
      return { type: 'EDS', lb_policy: 'ROUND_ROBIN' };
  }
};

const outlierDetectionOf = (od: NonNullable<TrafficPolicy['outlierDetection']>): OutlierDetection => {
  const ms = (d: string | undefined) => (d !== undefined ? durationMs(d) : undefined);
  const interval = ms(od.interval);
  const baseEjection = ms(od.baseEjectionTime);
  return {
    ...(od.consecutive5xxErrors !== undefined
      ? { consecutive_5xx: { value: od.consecutive5xxErrors }, enforcing_consecutive_5xx: { value: od.consecutive5xxErrors > 0 ? 100 : 0 } }
      : {}),
    ...(od.consecutiveGatewayErrors !== undefined
      ? {
          consecutive_gateway_failure: { value: od.consecutiveGatewayErrors },
          enforcing_consecutive_gateway_failure: { value: od.consecutiveGatewayErrors > 0 ? 100 : 0 },
        }
      : {}),
    ...(interval !== undefined ? { interval: durationOf(interval) } : {}),
    ...(baseEjection !== undefined ? { base_ejection_time: durationOf(baseEjection) } : {}),
    ...(od.maxEjectionPercent !== undefined ? { max_ejection_percent: { value: od.maxEjectionPercent } } : {}),
    // Istio ejects on consecutive errors only: success-rate ejection stays off.
    enforcing_success_rate: { value: 0 },
  };
};

const clusterOf = (plan: ClusterPlan, policyOf: TrafficPolicyOf): Cluster => {
  const policy = policyOf(plan.host);
  const portPolicy = plan.port !== undefined ? policy?.portLevelSettings?.find((p) => p.port.number === plan.port) : undefined;
  // The route's destination carries the subset's load balancer when the subset has its own; port level beats top level.
  const subsetLb = plan.loadBalancer !== undefined && !sameJson(plan.loadBalancer, policy?.loadBalancer) ? plan.loadBalancer : undefined;
  const lb = subsetLb ?? portPolicy?.loadBalancer ?? policy?.loadBalancer;
  const pool = portPolicy?.connectionPool ?? policy?.connectionPool;
  const outlier = portPolicy?.outlierDetection ?? policy?.outlierDetection;
  const connectTimeoutMs = pool?.tcp?.connectTimeout !== undefined ? durationMs(pool.tcp.connectTimeout) : undefined;
  const lbPolicy = lbPolicyOf(lb);
  const limits = {
    ...(pool?.tcp?.maxConnections !== undefined ? { max_connections: { value: pool.tcp.maxConnections } } : {}),
    ...(pool?.http?.http1MaxPendingRequests !== undefined ? { max_pending_requests: { value: pool.http.http1MaxPendingRequests } } : {}),
    ...(pool?.http?.http2MaxRequests !== undefined ? { max_requests: { value: pool.http.http2MaxRequests } } : {}),
    ...(pool?.http?.maxRetries !== undefined ? { max_retries: { value: pool.http.maxRetries } } : {}),
  };
  return {
    name: plan.name,
    ...lbPolicy,
    ...(lbPolicy.type === 'EDS' ? { eds_cluster_config: { eds_config: ads, service_name: plan.name } } : {}),
    connect_timeout: durationOf(connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    ...(Object.keys(limits).length > 0 ? { circuit_breakers: { thresholds: [{ priority: 'DEFAULT' as const, ...limits }] } } : {}),
    ...(outlier !== undefined ? { outlier_detection: outlierDetectionOf(outlier) } : {}),
    ...(outlier?.minHealthPercent !== undefined ? { common_lb_config: { healthy_panic_threshold: { value: outlier.minHealthPercent } } } : {}),
  };
};

const localityOf = (locality: string | undefined) => {
  const [region = '', zone = '', subZone = ''] = (locality ?? '').split('/');
  return { region, zone, sub_zone: subZone };
};

const weightOf = (e: Endpoint): number => (e.weight !== undefined && e.weight > 0 ? e.weight : 1);

/**
 * Endpoints grouped by locality; gRPC ignores a locality without weight, so each weighs the sum
 * of its endpoints. An EDS address must be an IP and appear once: a hostname needs a DNS cluster
 * (not translated yet) and a second workload on the same address:port adds nothing routable.
 */
const loadAssignmentOf = (plan: ClusterPlan): ClusterLoadAssignment => {
  const byLocality = new Map<string, Endpoint[]>();
  const seen = new Set<string>();
  for (const e of plan.endpoints) {
    const address = `${e.address}:${e.port}`;
    if (isIP(e.address) === 0 || seen.has(address)) continue;
    seen.add(address);
    const key = e.locality ?? '';
    byLocality.set(key, [...(byLocality.get(key) ?? []), e]);
  }
  const endpoints: LocalityLbEndpoints[] = [...byLocality.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([locality, eps]) => ({
      locality: localityOf(locality),
      lb_endpoints: eps.map(
        (e): LbEndpoint => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
          // The model has no endpoint health yet: every registered endpoint is served.
          health_status: 'HEALTHY',
          load_balancing_weight: { value: weightOf(e) },
        }),
      ),
      load_balancing_weight: { value: Math.min(UINT32_MAX, eps.reduce((sum, e) => sum + weightOf(e), 0)) },
      priority: 0,
    }));
  return { cluster_name: plan.name, endpoints };
};

/** The port's own cluster when no VirtualService routes the host: every request to it. */
const defaultPlan = (s: RoutingSnapshot, port: ServicePortInfo): ClusterPlan => {
  const name = outboundClusterName(s.host, port.number, undefined);
  const derived = s.routes.flatMap((r) => r.destinations).find((d) => d.cluster === name);
  if (derived !== undefined) return { name, host: s.host, port: port.number, loadBalancer: derived.loadBalancer, endpoints: derived.endpoints, approximate: false };
  // Only a single-port service says for sure which endpoints serve the port.
  const single = s.ports.length === 1;
  const target = port.targetPort ?? port.number;
  return {
    name,
    host: s.host,
    port: port.number,
    loadBalancer: s.trafficPolicy?.loadBalancer,
    endpoints: single ? s.endpoints : s.endpoints.filter((e) => e.port === target),
    approximate: !single,
  };
};

const routeName = (rule: RouteRule, r: number, match: SnapshotMatch | undefined, j: number, matches: number): string => {
  const base = rule.name ?? `route-${r}`;
  return matches > 1 ? `${base}.${match?.name ?? j}` : base;
};

/** Translates one host's snapshot; `policyOf` gives other hosts' traffic policies for the clusters its routes use. */
export function toXds(s: RoutingSnapshot, policyOf: TrafficPolicyOf): HostXds {
  const listeners: Listener[] = [];
  const routeConfigurations: RouteConfiguration[] = [];
  const plans = new Map<string, ClusterPlan>();
  const plan = (p: ClusterPlan) => {
    if (!plans.has(p.name)) plans.set(p.name, p);
  };
  const routedByVirtualService = s.sources.virtualService !== undefined;
  for (const port of s.ports) {
    const name = listenerName(s.host, port.number);
    const routes: Route[] = [];
    if (!routedByVirtualService) {
      const p = defaultPlan(s, port);
      plan(p);
      routes.push({ name: 'default', match: { prefix: '/' }, route: { cluster: p.name, timeout: ZERO } });
    } else {
      s.routes.forEach((rule, r) => {
        // A match naming another port belongs to that port's route table.
        const matches = rule.match.length === 0 ? [undefined] : rule.match.filter((m) => m.port === undefined || m.port === port.number);
        matches.forEach((m, j) => routes.push(envoyRoute(rule, m, routeName(rule, r, m, j, matches.length))));
        if (matches.length === 0 || rule.redirect !== undefined || rule.directResponse !== undefined) return;
        for (const d of rule.destinations) {
          if (d.weight > 0 || rule.destinations.every((x) => x.weight === 0)) {
            plan({ name: d.cluster, host: d.host, port: d.port, loadBalancer: d.loadBalancer, endpoints: d.endpoints, approximate: false });
          }
        }
      });
    }
    listeners.push(listenerFor(name, name));
    routeConfigurations.push({ name, virtual_hosts: [{ name, domains: virtualHostDomains(s.host, port.number), routes }] });
  }
  const ordered = [...plans.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const clusters = ordered.map((p) => clusterOf(p, policyOf));
  return {
    host: s.host,
    listeners,
    routeConfigurations,
    clusters,
    loadAssignments: ordered.filter((_, i) => clusters[i]?.type === 'EDS').map(loadAssignmentOf),
    approximate: ordered.filter((p) => p.approximate).map((p) => p.name),
    dependsOn: [...new Set(ordered.map((p) => p.host).filter((h) => h !== s.host))].sort(),
  };
}
