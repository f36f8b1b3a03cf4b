import type { StringMatch } from './codec/istio-fields.js';
import type { LoadBalancerSettings, TrafficPolicy } from './resources/destination-rule.js';
import type { HTTPFaultInjection } from './resources/virtual-service.js';

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
}

export interface RouteRule {
  readonly name?: string;
  /** Any one of these matches (OR); an empty list matches every request. */
  readonly match: readonly RouteMatch[];
  readonly destinations: readonly WeightedDestination[];
  readonly timeoutMs?: number;
  readonly retries?: { readonly attempts: number; readonly perTryTimeoutMs?: number; readonly retryOn?: string };
  readonly fault?: HTTPFaultInjection;
  readonly redirect?: { readonly uri?: string; readonly authority?: string; readonly redirectCode?: number };
  readonly directResponse?: { readonly status: number; readonly body?: string };
  readonly rewrite?: { readonly uri?: string; readonly authority?: string };
}

export interface WeightedDestination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
  readonly weight: number;
  /** Istio's cluster name, `outbound|PORT|SUBSET|HOST`. */
  readonly cluster: string;
  readonly loadBalancer?: LoadBalancerSettings;
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
export interface VersionedSnapshot {
  readonly version: SnapshotVersion;
  /** SHA-256 of the canonical content: replicas compare it instead of the whole value. */
  readonly contentHash: string;
  readonly snapshot: RoutingSnapshot;
}

export interface SnapshotVersion {
  readonly config: number;
  readonly registry: number;
}

export const compareVersions = (a: SnapshotVersion, b: SnapshotVersion): number =>
  a.config !== b.config ? a.config - b.config : a.registry - b.registry;

export const formatVersion = (v: SnapshotVersion): string => `${v.config}.${v.registry}`;
