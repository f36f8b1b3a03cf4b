import type { Endpoint, LoadBalancerSettings, TrafficPolicy, WeightedDestination } from '@jetmesh/model';
import { ClusterCircuit } from './cluster-circuit.js';
import type { AttemptOutcome, UpstreamCluster } from './upstream-forwarder.js';
import type { AttemptResult, UpstreamRequest } from './upstream.js';

/** The load-balancing and outlier-detection part of the routing core, as clusters use it. */
export interface BalancingCore {
  balancer(lb: LoadBalancerSettings | undefined, endpoints: readonly Endpoint[]): {
    pick(ctx: { hashKey?: string; random01: number; active(key: string): number; excluded(key: string): boolean }): Endpoint | undefined;
  };
  endpointKey(e: Endpoint): string;
  /** Undefined settings: no outlier detection (Istio's default), nothing is ever ejected. */
  outlierDetector(settings: NonNullable<TrafficPolicy['outlierDetection']> | undefined, endpointKeys: readonly string[]): {
    /** True when this outcome ejected the endpoint. */
    record(key: string, outcome: AttemptOutcome, nowMs: number): boolean;
    isEjected(key: string, nowMs: number): boolean;
    setEndpoints(endpointKeys: readonly string[]): void;
  };
}

export type EndpointDial = (destination: WeightedDestination, endpoint: Endpoint, req: UpstreamRequest, signal: AbortSignal) => Promise<AttemptResult>;

interface ClusterEntry {
  readonly cluster: UpstreamCluster;
  /** What the entry was built from; a destination with other endpoints or policy gets a new balancer. */
  fingerprint: string;
  rebuild(destination: WeightedDestination): void;
  counts(): { inFlight: number; pending: number };
}

/**
 * One UpstreamCluster per Istio cluster name (`outbound|port|subset|host`), kept across
 * snapshot versions so in-flight counts, circuit state and outlier ejections survive a
 * routing change; its balancer is rebuilt when its endpoints or policy change.
 */
export class ClusterRegistry {
  private readonly clusters = new Map<string, ClusterEntry>();

  constructor(
    private readonly core: BalancingCore,
    private readonly dial: EndpointDial,
    private readonly random: () => number,
    private readonly now: () => number,
    private readonly onEjected: (cluster: string, endpoint: string) => void = () => undefined,
  ) {}

  /** Clusters known, with their live counts (for /stats and /config_dump). */
  describe(): Array<{ name: string; inFlight: number; pending: number }> {
    return [...this.clusters.entries()].map(([name, e]) => ({ name, ...e.counts() }));
  }

  for(destination: WeightedDestination): UpstreamCluster {
    const fingerprint = fingerprintOf(destination);
    const existing = this.clusters.get(destination.cluster);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint) {
        existing.fingerprint = fingerprint;
        existing.rebuild(destination);
      }
      return existing.cluster;
    }
    const entry = this.create(destination, fingerprint);
    this.clusters.set(destination.cluster, entry);
    return entry.cluster;
  }

  private create(initial: WeightedDestination, fingerprint: string): ClusterEntry {
    const { core } = this;
    const active = new Map<string, number>();
    let destination = initial;
    let lb = core.balancer(lbOf(initial), initial.endpoints);
    let circuit = ClusterCircuit.fromPolicy(initial.trafficPolicy?.connectionPool);
    const keysOf = (d: WeightedDestination): string[] => d.endpoints.map((e) => core.endpointKey(e));
    let outlier = core.outlierDetector(initial.trafficPolicy?.outlierDetection, keysOf(initial));
    let outlierSettings = JSON.stringify(initial.trafficPolicy?.outlierDetection ?? null);
    let poolSettings = JSON.stringify(initial.trafficPolicy?.connectionPool ?? null);
    const cluster: UpstreamCluster = {
      name: initial.cluster,
      pick: (hashKey, tried) =>
        lb.pick({
          ...(hashKey !== undefined ? { hashKey } : {}),
          random01: this.random(),
          active: (key) => active.get(key) ?? 0,
          excluded: (key) => tried.has(key) || outlier.isEjected(key, this.now()),
        }),
      endpointKey: (e) => core.endpointKey(e),
      admit: (signal) => circuit.acquire(signal),
      started: (key) => active.set(key, (active.get(key) ?? 0) + 1),
      finished: (key, outcome) => {
        const n = (active.get(key) ?? 1) - 1;
        if (n <= 0) active.delete(key);
        else active.set(key, n);
        if (outlier.record(key, outcome, this.now())) this.onEjected(destination.cluster, key);
      },
      dial: (endpoint, req, signal) => this.dial(destination, endpoint, req, signal),
    };
    return {
      cluster,
      fingerprint,
      counts: () => ({ inFlight: circuit.inFlight(), pending: circuit.pending() }),
      rebuild: (next) => {
        destination = next;
        lb = core.balancer(lbOf(next), next.endpoints);
        const pool = JSON.stringify(next.trafficPolicy?.connectionPool ?? null);
        if (pool !== poolSettings) {
          poolSettings = pool;
          circuit = ClusterCircuit.fromPolicy(next.trafficPolicy?.connectionPool);
        }
        const settings = JSON.stringify(next.trafficPolicy?.outlierDetection ?? null);
        if (settings !== outlierSettings) {
          outlierSettings = settings;
          outlier = core.outlierDetector(next.trafficPolicy?.outlierDetection, keysOf(next));
        } else outlier.setEndpoints(keysOf(next));
      },
    };
  }
}

// A snapshot's destinations are immutable values: fingerprint each object once, not per request.
const fingerprints = new WeakMap<WeightedDestination, string>();
const fingerprintOf = (d: WeightedDestination): string => {
  let f = fingerprints.get(d);
  if (f === undefined) {
    f = JSON.stringify([d.endpoints, d.loadBalancer, d.trafficPolicy ?? null]);
    fingerprints.set(d, f);
  }
  return f;
};

const lbOf = (d: WeightedDestination): LoadBalancerSettings | undefined => d.trafficPolicy?.loadBalancer ?? d.loadBalancer;
