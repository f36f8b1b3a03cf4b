import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, UNKNOWN_LABEL, type IstioRequestLabels, type TelemetryReport, type TelemetrySeries, type WindowHistogram } from '@jetmesh/model';

/** One request as a test describes it: labels not given are `unknown`. */
export interface TestRequest {
  readonly labels?: Partial<IstioRequestLabels>;
  readonly durationMs: number;
  readonly requestBytes?: number;
  readonly responseBytes?: number;
}

/** Istio's full label set: `unknown` except what `given` sets. */
export function istioTestLabels(given: Partial<IstioRequestLabels> = {}): IstioRequestLabels {
  return Object.fromEntries(ISTIO_REQUEST_LABELS.map((l) => [l, given[l] ?? UNKNOWN_LABEL])) as IstioRequestLabels;
}

// Prometheus `le`: a value equal to a bound is in that bucket.
const histogramOf = (values: readonly number[], bounds: readonly number[]): WindowHistogram => {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let sum = 0;
  for (const v of values) {
    let i = 0;
    while (i < bounds.length && v > (bounds[i] ?? Infinity)) i++;
    counts[i] = (counts[i] ?? 0) + 1;
    sum += v;
  }
  return { counts, sum };
};

/** The series a proxy would report for these requests: one per distinct label set. */
export function seriesOf(requests: readonly TestRequest[]): TelemetrySeries[] {
  const groups = new Map<string, { labels: IstioRequestLabels; requests: TestRequest[] }>();
  for (const r of requests) {
    const labels = istioTestLabels(r.labels);
    const key = ISTIO_REQUEST_LABELS.map((l) => labels[l]).join('\u0000');
    const g = groups.get(key) ?? { labels, requests: [] };
    g.requests.push(r);
    groups.set(key, g);
  }
  return [...groups.values()].map(({ labels, requests: rs }) => ({
    labels,
    requests: rs.length,
    durationMs: histogramOf(rs.map((r) => r.durationMs), ISTIO_DURATION_BUCKETS_MS),
    requestBytes: histogramOf(rs.map((r) => r.requestBytes ?? 0), ISTIO_BYTE_BUCKETS),
    responseBytes: histogramOf(rs.map((r) => r.responseBytes ?? 0), ISTIO_BYTE_BUCKETS),
  }));
}

/** A TelemetryReport, as a proxy's aggregator closes one, for the given requests in [startMs, endMs]. */
export function buildTelemetryReport(opts: {
  readonly id: string;
  readonly workload?: { readonly namespace: string; readonly name: string };
  readonly startMs: number;
  readonly endMs?: number;
  readonly requests: readonly TestRequest[];
  readonly overflowRequests?: number;
}): TelemetryReport {
  const series = seriesOf(opts.requests);
  const reporters = new Set(series.map((s) => s.labels.reporter));
  return {
    id: opts.id,
    reporter: reporters.size === 1 && reporters.has('destination') ? 'destination' : reporters.size <= 1 ? 'source' : 'both',
    workload: opts.workload ?? { namespace: 'default', name: 'productpage-v1' },
    window: { start: new Date(opts.startMs).toISOString(), end: new Date(opts.endMs ?? opts.startMs + 1000).toISOString() },
    series,
    overflowRequests: opts.overflowRequests ?? 0,
  };
}
