import type { StringMatch } from './codec/istio-fields.js';
import type { LoadBalancerSettings, TrafficPolicy } from './resources/destination-rule.js';
import type { HTTPFaultInjection, HTTPRoute } from './resources/virtual-service.js';

/**
 * What pilot publishes per destination host: the ordered route table a proxy evaluates
 * (first match wins), each route's weighted destinations resolved down to endpoints.
 * A value: versioned by the log positions it reflects, checked before anyone sees it.
 */
export interface RoutingSnapshot {
  /** Fully qualified host, e.g. `reviews.default.svc.cluster.local`. */
  readonly host: string;
  readonly ports: readonly ServicePortInfo[];
  /** Which resources it was derived from (`namespace/name`). */
  readonly sources: {
    readonly serviceEntry?: string;
    readonly virtualService?: string;
    readonly destinationRule?: string;
  };
  readonly routes: readonly RouteRule[];
  readonly subsets: readonly SubsetInfo[];
  readonly trafficPolicy?: TrafficPolicy;
  /** Every endpoint of the host, whatever the routes pick. */
  readonly endpoints: readonly Endpoint[];
  /** Inconsistencies a user should fix (an unknown subset, a destination without endpoints). */
  readonly warnings: readonly string[];
}

export interface ServicePortInfo {
  readonly number: number;
  readonly name: string;
  readonly protocol?: string;
  readonly targetPort?: number;
}

export interface RouteMatch {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly method?: StringMatch;
  readonly authority?: StringMatch;
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly queryParams?: Readonly<Record<string, StringMatch>>;
  readonly port?: number;
  readonly ignoreUriCase?: boolean;
  readonly scheme?: StringMatch;
  /** Matches when none of these headers match (`{ regex: '*' }`: when the header is absent). */
  readonly withoutHeaders?: Readonly<Record<string, StringMatch>>;
  /** Labels the calling workload must carry (the proxy knows its own labels). */
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly sourceNamespace?: string;
  /** As written; pilot already dropped the matches that do not apply where the table is used. */
  readonly gateways?: readonly string[];
}

/** Header edits of a route or a destination (Istio's `Headers`). */
export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface RouteHeaders {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
}

export type CorsPolicy = NonNullable<HTTPRoute['corsPolicy']>;

/** A destination traffic is copied to (responses ignored), for `percentage` percent of requests. */
export interface MirrorDestination extends WeightedDestination {
  /** 0..100; Istio's default is 100. */
  readonly percentage: number;
}

/** The retry policy a proxy applies when a route has none (`retries` undefined): Istio's retry.DefaultPolicy. */
export const DEFAULT_RETRY_POLICY: { readonly attempts: number; readonly retryOn: string } = {
  attempts: 2,
  retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
};

/** The DestinationRule policy in effect for one destination: subset and port-level settings merged in. */
export type EffectiveTrafficPolicy = Omit<TrafficPolicy, 'portLevelSettings'>;

export interface RouteRule {
  readonly name?: string;
  /** Any one of these matches (OR); an empty list matches every request. */
  readonly match: readonly RouteMatch[];
  readonly destinations: readonly WeightedDestination[];
  readonly timeoutMs?: number;
  /** Undefined: the route sets no policy, and the proxy applies DEFAULT_RETRY_POLICY (attempts 0 disables retries). */
  readonly retries?: { readonly attempts: number; readonly perTryTimeoutMs?: number; readonly retryOn?: string };
  readonly fault?: HTTPFaultInjection;
  readonly redirect?: {
    readonly uri?: string;
    readonly prefixRewrite?: string;
    readonly authority?: string;
    readonly redirectCode?: number;
    readonly scheme?: 'http' | 'https';
    readonly port?: number;
    readonly derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  };
  readonly directResponse?: { readonly status: number; readonly body?: string };
  readonly rewrite?: { readonly uri?: string; readonly authority?: string; readonly uriRegexRewrite?: { readonly match: string; readonly rewrite: string } };
  readonly headers?: RouteHeaders;
  readonly mirrors?: readonly MirrorDestination[];
  readonly corsPolicy?: CorsPolicy;
}

export interface WeightedDestination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
  readonly weight: number;
  /** Istio's cluster name, `outbound|PORT|SUBSET|HOST`. */
  readonly cluster: string;
  /** The subset's load balancer, else the DestinationRule's (port-level settings not applied: see trafficPolicy). */
  readonly loadBalancer?: LoadBalancerSettings;
  /** Effective DestinationRule policy: top level, its port-level entry, the subset's, the subset's port-level entry (Istio's MergeTrafficPolicy). */
  readonly trafficPolicy?: EffectiveTrafficPolicy;
  /** Header edits of this destination (HTTPRouteDestination.headers), applied after the route's. */
  readonly headers?: RouteHeaders;
  readonly endpoints: readonly Endpoint[];
}

export interface SubsetInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  /** `WorkloadEntry namespace/name`, `registry namespace/name`, or `ServiceEntry namespace/name#i`. */
  readonly workload: string;
  readonly weight?: number;
  readonly serviceAccount?: string;
  readonly locality?: string;
}

/** A snapshot as stored in KV: the content plus the log positions it reflects. */
export interface VersionedSnapshot<S = RoutingSnapshot> {
  readonly version: SnapshotVersion;
  /** SHA-256 of the canonical content: replicas compare it instead of the whole value. */
  readonly contentHash: string;
  readonly snapshot: S;
}

export interface SnapshotVersion {
  readonly config: number;
  readonly registry: number;
}

export const compareVersions = (a: SnapshotVersion, b: SnapshotVersion): number =>
  a.config !== b.config ? a.config - b.config : a.registry - b.registry;

export const formatVersion = (v: SnapshotVersion): string => `${v.config}.${v.registry}`;
