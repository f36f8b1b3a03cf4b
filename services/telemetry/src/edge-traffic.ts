import { ISTIO_DURATION_BUCKETS_MS, edgeShareKey, type EdgeShare, type IstioRequestLabels } from '@jetmesh/model';

/** The part of an Istio series since start that edges need (IstioSeriesTable's rows have it). */
export interface CumulativeSeries {
  readonly labels: IstioRequestLabels;
  readonly requests: number;
  /** `counts[i]` = requests in bucket i since start (per bucket, not cumulative), the last one `+Inf`. */
  readonly durationMs: { readonly counts: ArrayLike<number>; readonly sum: number };
}

/** One edge's totals since start. */
interface EdgeTotals {
  readonly edge: Omit<EdgeShare, 'requests' | 'serverErrors' | 'mutualTls' | 'durationMs'>;
  requests: number;
  serverErrors: number;
  mutualTls: number;
  /** Per bucket since start, as the series hold them. */
  readonly counts: number[];
  sum: number;
}

interface Sample {
  readonly atMs: number;
  readonly totals: ReadonlyMap<string, EdgeTotals>;
}

const isServerError = (code: string): boolean => code.length === 3 && code.charCodeAt(0) === 53; // '5'

/** Every edge's totals since start, summed over the series of each (source workload, destination service, reporter). */
export function edgeTotals(series: Iterable<CumulativeSeries>): Map<string, EdgeTotals> {
  const out = new Map<string, EdgeTotals>();
  for (const s of series) {
    const l = s.labels;
    if (l.reporter !== 'source' && l.reporter !== 'destination') continue;
    const edge = {
      sourceNamespace: l.source_workload_namespace,
      sourceWorkload: l.source_workload,
      sourceService: l.source_canonical_service,
      destinationNamespace: l.destination_service_namespace,
      destinationService: l.destination_service,
      reporter: l.reporter,
    } as const;
    const key = edgeShareKey(edge);
    let t = out.get(key);
    if (t === undefined) {
      t = { edge, requests: 0, serverErrors: 0, mutualTls: 0, counts: new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0), sum: 0 };
      out.set(key, t);
    }
    t.requests += s.requests;
    if (isServerError(l.response_code)) t.serverErrors += s.requests;
    if (l.connection_security_policy === 'mutual_tls') t.mutualTls += s.requests;
    for (let i = 0; i < t.counts.length; i++) t.counts[i] = (t.counts[i] ?? 0) + (s.durationMs.counts[i] ?? 0);
    t.sum += s.durationMs.sum;
  }
  return out;
}

/** What `now` holds beyond `then`, per bucket (not cumulative), as a window's histogram. */
const increase = (now: EdgeTotals, then: EdgeTotals | undefined): EdgeShare => {
  const counts: number[] = [];
  for (let i = 0; i < now.counts.length; i++) counts.push((now.counts[i] ?? 0) - (then?.counts[i] ?? 0));
  return {
    ...now.edge,
    requests: now.requests - (then?.requests ?? 0),
    serverErrors: now.serverErrors - (then?.serverErrors ?? 0),
    mutualTls: now.mutualTls - (then?.mutualTls ?? 0),
    durationMs: { counts, sum: now.sum - (then?.sum ?? 0) },
  };
};

/**
 * Traffic per edge over the last `windowSeconds`, as Prometheus' `increase()` computes it: the
 * series only grow, so what an edge carried in a window is its totals now minus its totals at
 * the window's start. Samples of the totals are taken every few seconds (the caller's timer),
 * so nothing is added to the report path. Pure: the clock is the caller's.
 */
export class EdgeTraffic {
  private samples: Sample[] = [];

  constructor(readonly windowSeconds: number) {}

  /** Keeps the totals at `atMs`; samples older than the window's start are dropped but for the newest of them (the baseline). */
  sample(series: Iterable<CumulativeSeries>, atMs: number): void {
    this.samples.push({ atMs, totals: edgeTotals(series) });
    const start = atMs - this.windowSeconds * 1000;
    let keepFrom = 0;
    for (let i = 0; i < this.samples.length; i++) if (this.samples[i]!.atMs <= start) keepFrom = i;
    this.samples = this.samples.slice(keepFrom);
  }

  /**
   * Each edge's traffic from the baseline (the newest sample at or before the window's start,
   * else the oldest held) to the totals at `nowMs`, and how many seconds that spans.
   */
  share(series: Iterable<CumulativeSeries>, nowMs: number): { windowSeconds: number; edges: EdgeShare[] } {
    const now = edgeTotals(series);
    const start = nowMs - this.windowSeconds * 1000;
    // Samples are in time order.
    let baseline: Sample | undefined = this.samples[0];
    for (const s of this.samples) if (s.atMs <= start) baseline = s;
    const edges: EdgeShare[] = [];
    for (const [key, totals] of now) {
      const e = increase(totals, baseline?.totals.get(key));
      if (e.requests > 0) edges.push(e);
    }
    const spanMs = baseline === undefined ? this.windowSeconds * 1000 : nowMs - baseline.atMs;
    return { windowSeconds: Math.max(1, Math.round(spanMs / 1000)), edges };
  }
}
