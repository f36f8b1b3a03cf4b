import type { AuthorizationPolicySpec } from './resources/authorization-policy.js';
import type { ServerTLSSettings } from './resources/gateway.js';
import type { RouteRule, SnapshotVersion } from './routing-snapshot.js';

/**
 * What pilot publishes per workload (KV key `workload.<ns>.<name>`): everything its proxy
 * needs on the inbound side — the mTLS mode PeerAuthentication gives it, the
 * AuthorizationPolicies that select it, and, for a gateway workload, the Gateways that
 * select it with the routes of the VirtualServices bound to them.
 */
export interface WorkloadSnapshot {
  readonly workload: {
    readonly namespace: string;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly serviceAccount?: string;
  };
  readonly mtls: InboundMtls;
  /** Policies selecting this workload: root namespace's first, then its own; each in (namespace, name) order. */
  readonly authorization: readonly AppliedAuthorizationPolicy[];
  /** Gateways whose selector matches this workload (empty for a sidecar). */
  readonly gateways: readonly GatewaySnapshot[];
  readonly warnings: readonly string[];
}

/** The effective PeerAuthentication mode (UNSET resolved: Istio's default is PERMISSIVE). */
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

export interface InboundMtls {
  readonly mode: MtlsMode;
  /** portLevelMtls of the most specific policy, by workload port number (as a string). */
  readonly ports: Readonly<Record<string, MtlsMode>>;
  /** `namespace/name` of each PeerAuthentication that decided it, most specific first. */
  readonly sources: readonly string[];
}

export interface AppliedAuthorizationPolicy {
  /** `namespace/name`. */
  readonly source: string;
  readonly action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  /** As written; an ALLOW policy without rules allows nothing. */
  readonly rules: NonNullable<AuthorizationPolicySpec['rules']>;
  readonly provider?: string;
}

export interface GatewaySnapshot {
  /** `namespace/name` of the Gateway. */
  readonly source: string;
  readonly servers: readonly GatewayServer[];
  /** One table per VirtualService host bound to this gateway, most specific host first. */
  readonly routeTables: readonly GatewayRouteTable[];
}

export interface GatewayServer {
  readonly port: { readonly number: number; readonly protocol: string; readonly name: string; readonly targetPort?: number };
  /** Hosts as the Gateway lists them, namespace prefix (`ns/`) removed. */
  readonly hosts: readonly string[];
  readonly tls?: ServerTLSSettings;
  readonly name?: string;
}

export interface GatewayRouteTable {
  /** A VirtualService host (may be a wildcard like `*.example.com`). */
  readonly host: string;
  /** `namespace/name` of the VirtualService. */
  readonly virtualService: string;
  /** Gateway ports this table serves (from the VS match `port` / the servers hosting the host). */
  readonly ports: readonly number[];
  readonly routes: readonly RouteRule[];
}

export interface VersionedWorkloadSnapshot {
  readonly version: SnapshotVersion;
  readonly contentHash: string;
  readonly snapshot: WorkloadSnapshot;
}
