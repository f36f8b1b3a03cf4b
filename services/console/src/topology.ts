import type { EdgeRow, MtlsMode, RoutingSnapshot, TopRow, WorkloadSnapshot } from '@jetmesh/model';

/** What telemetry saw of one destination service in its window (`jetmesh top`'s row). */
export interface Traffic {
  readonly rps: number;
  /** 5xx share, 0..1. */
  readonly errorRate: number;
  readonly p99Ms: number;
}

export interface TopologyNode {
  /** `service:<host>` or `workload:<endpoint workload>` (a proxy's own: `workload:registry <ns>/<name>`). */
  readonly id: string;
  readonly kind: 'service' | 'workload';
  readonly label: string;
  readonly namespace: string;
  /** Services: the resources the routing came from; workloads: their labels. */
  readonly details: Readonly<Record<string, string>>;
  /** Services: what telemetry saw arrive. */
  readonly traffic?: Traffic;
  /** Workloads with a registered identity: the inbound mode PeerAuthentication gives them. */
  readonly inboundMtls?: MtlsMode;
}

/**
 * `route`: a service sending to a workload (one of its endpoints) or to another service a route
 * names, from the routing; `call`: a workload calling a service, from telemetry's last minute.
 */
export interface TopologyEdge {
  readonly id: string;
  readonly kind: 'route' | 'call';
  readonly source: string;
  readonly target: string;
  readonly subset?: string;
  /** Percent of the default route (the last rule, as Istio's fallback) that goes this way; undefined: only some matches go. */
  readonly weight?: number;
  /** The client side's TLS mode from the DestinationRule (ISTIO_MUTUAL, SIMPLE, …); undefined: none set. */
  readonly tlsMode?: string;
  /** The receiving workload's inbound mode, when it has one. */
  readonly inboundMtls?: MtlsMode;
  /** Calls only: what telemetry saw go this way. */
  readonly traffic?: Traffic;
  /** Calls only: the share the server side saw over mutual TLS (0..1); undefined: no server-side report. */
  readonly observedMtls?: number;
}

export interface Topology {
  readonly nodes: readonly TopologyNode[];
  readonly edges: readonly TopologyEdge[];
}

const serviceId = (host: string): string => `service:${host}`;
const workloadId = (workload: string): string => `workload:${workload}`;
const namespaceOfHost = (host: string): string => host.split('.')[1] ?? '';

/** `WorkloadEntry ns/name` and `registry ns/name` name a workload with an inbound snapshot; ServiceEntry endpoints have none. */
const workloadKey = (workload: string): string | undefined => {
  const m = /^(?:WorkloadEntry|registry) (\S+\/\S+)$/.exec(workload);
  return m?.[1];
};

const namespaceOfWorkload = (workload: string): string => /\s(\S+?)\//.exec(workload)?.[1] ?? '';

/** A caller as telemetry names it: a proxy registers itself, so its node is its registry entry's; no sidecar is `unknown`. */
const callerId = (row: EdgeRow): string => (row.sourceWorkload === 'unknown' ? workloadId('unknown') : workloadId(`registry ${row.sourceNamespace}/${row.sourceWorkload}`));

/**
 * The mesh as a graph, from pilot's derivation of one state (so it is the topology at that
 * sequence) and, when telemetry answered, its rows for the last minute: per service on the
 * service nodes, per caller → service as call edges. Pure: the same inputs give the same graph,
 * nodes and edges in id order.
 */
export function buildTopology(
  snapshots: ReadonlyMap<string, RoutingSnapshot>,
  workloads: ReadonlyMap<string, WorkloadSnapshot>,
  rows: readonly TopRow[] = [],
  calls: readonly EdgeRow[] = [],
): Topology {
  const traffic = new Map(rows.map((r): [string, Traffic] => [r.service, { rps: r.rps, errorRate: 1 - r.successRate, p99Ms: r.p99Ms }]));
  const nodes = new Map<string, TopologyNode>();
  const edges = new Map<string, TopologyEdge>();
  const inbound = (workload: string): MtlsMode | undefined => {
    const key = workloadKey(workload);
    return key === undefined ? undefined : workloads.get(key)?.mtls.mode;
  };
  for (const s of snapshots.values()) {
    const t = traffic.get(s.host);
    const details = Object.fromEntries(Object.entries(s.sources).filter((e): e is [string, string] => e[1] !== undefined));
    nodes.set(serviceId(s.host), { id: serviceId(s.host), kind: 'service', label: s.host, namespace: namespaceOfHost(s.host), details, ...(t !== undefined ? { traffic: t } : {}) });
    const fallback = s.routes.at(-1);
    for (const route of s.routes) {
      for (const d of route.destinations) {
        const weight = route === fallback ? d.weight : undefined;
        const tlsMode = d.trafficPolicy?.tls?.mode;
        const common = { ...(d.subset !== undefined ? { subset: d.subset } : {}), ...(tlsMode !== undefined ? { tlsMode } : {}) };
        if (d.host !== s.host) {
          const id = `${serviceId(s.host)}->${serviceId(d.host)}${d.subset !== undefined ? `#${d.subset}` : ''}`;
          edges.set(id, { ...edges.get(id), id, kind: 'route', source: serviceId(s.host), target: serviceId(d.host), ...common, ...(weight !== undefined ? { weight } : {}) });
          continue;
        }
        for (const e of d.endpoints) {
          const target = workloadId(e.workload);
          const mode = inbound(e.workload);
          if (!nodes.has(target)) {
            nodes.set(target, { id: target, kind: 'workload', label: e.workload, namespace: namespaceOfWorkload(e.workload), details: { address: `${e.address}:${e.port}`, ...e.labels }, ...(mode !== undefined ? { inboundMtls: mode } : {}) });
          }
          const id = `${serviceId(s.host)}->${target}`;
          const seen = edges.get(id);
          edges.set(id, {
            ...seen,
            id,
            kind: 'route',
            source: serviceId(s.host),
            target,
            ...common,
            ...(weight !== undefined ? { weight: (seen?.weight ?? 0) + weight } : {}),
            ...(mode !== undefined ? { inboundMtls: mode } : {}),
          });
        }
      }
    }
  }
  for (const c of calls) {
    const source = callerId(c);
    if (!nodes.has(source)) {
      const label = c.sourceWorkload === 'unknown' ? 'unknown (no sidecar)' : `registry ${c.sourceNamespace}/${c.sourceWorkload}`;
      nodes.set(source, { id: source, kind: 'workload', label, namespace: c.sourceWorkload === 'unknown' ? '' : c.sourceNamespace, details: { service: c.sourceService, note: 'seen calling in telemetry' } });
    }
    const target = serviceId(c.destinationService);
    // The client side's TLS mode is the DestinationRule's, as on the service's own route edges.
    const tlsMode = snapshots.get(c.destinationService)?.routes.at(-1)?.destinations[0]?.trafficPolicy?.tls?.mode;
    const id = `${source}=>${target}`;
    edges.set(id, { id, kind: 'call', source, target, ...(tlsMode !== undefined ? { tlsMode } : {}), ...(c.mutualTls !== undefined ? { observedMtls: c.mutualTls } : {}), traffic: { rps: c.rps, errorRate: c.errorRate, p99Ms: c.p99Ms } });
  }
  // A route may name a host nothing defines: still a node, so the edge has an end.
  for (const e of edges.values()) {
    if (!nodes.has(e.target)) {
      const host = e.target.slice('service:'.length);
      nodes.set(e.target, { id: e.target, kind: 'service', label: host, namespace: namespaceOfHost(host), details: { note: 'no ServiceEntry defines it' } });
    }
  }
  const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { nodes: [...nodes.values()].sort(byId), edges: [...edges.values()].sort(byId) };
}
