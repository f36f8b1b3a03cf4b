import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS } from '@jetmesh/model';
import { Registry, type Metric } from 'prom-client';
import type { CumulativeHistogram, IstioSeries, IstioSeriesTable } from './istio-series-table.js';

/*
 * prom-client's Counter and Histogram only take single observations, and a report brings a
 * window's totals and bucket counts. These are prom-client metrics of our own (what a registry
 * asks of a metric: name, help, type, get()) that read the series table at scrape time, so a
 * scrape shows exactly what was folded and a report costs no per-request work.
 */

interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

interface CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: Sample[];
}

abstract class SeriesMetric {
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly table: IstioSeriesTable,
  ) {}

  protected abstract samples(s: IstioSeries, out: Sample[]): void;

  get(): Promise<CollectedMetric> {
    const values: Sample[] = [];
    for (const s of this.table.values()) this.samples(s, values);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The registry may reset its metrics (tests); these only mirror the table, which stays. */
  reset(): void {}
}

class RequestsCounter extends SeriesMetric {
  readonly type = 'counter' as const;
  protected samples(s: IstioSeries, out: Sample[]): void {
    out.push({ labels: s.labels, value: s.requests });
  }
}

class WindowedHistogram extends SeriesMetric {
  readonly type = 'histogram' as const;
  private readonly le: readonly string[];

  constructor(
    name: string,
    help: string,
    table: IstioSeriesTable,
    bounds: readonly number[],
    private readonly pick: (s: IstioSeries) => CumulativeHistogram,
  ) {
    super(name, help, table);
    this.le = [...bounds.map(String), '+Inf'];
  }

  protected samples(s: IstioSeries, out: Sample[]): void {
    const h = this.pick(s);
    const bucket = `${this.name}_bucket`;
    for (let i = 0; i < this.le.length; i++) out.push({ metricName: bucket, labels: { ...s.labels, le: this.le[i] ?? '+Inf' }, value: h.cumulative[i] ?? 0 });
    out.push({ metricName: `${this.name}_sum`, labels: s.labels, value: h.sum });
    out.push({ metricName: `${this.name}_count`, labels: s.labels, value: h.cumulative[this.le.length - 1] ?? 0 });
  }
}

/**
 * A registry of Istio's standard metrics over `table`, with Istio's names, types, buckets and
 * labels, and nothing else (no default labels: dashboards written for Istio match them as they are).
 */
export function createIstioRegistry(table: IstioSeriesTable): Registry {
  const registry = new Registry();
  const metrics = [
    new RequestsCounter('istio_requests_total', 'Requests, counted by the proxies (reporter source and destination)', table),
    new WindowedHistogram('istio_request_duration_milliseconds', 'Request duration in milliseconds', table, ISTIO_DURATION_BUCKETS_MS, (s) => s.durationMs),
    new WindowedHistogram('istio_request_bytes', 'Request body sizes in bytes', table, ISTIO_BYTE_BUCKETS, (s) => s.requestBytes),
    new WindowedHistogram('istio_response_bytes', 'Response body sizes in bytes', table, ISTIO_BYTE_BUCKETS, (s) => s.responseBytes),
  ];
  // The registry reads only name, help, type, aggregator and get(); its type names just its own classes.
  for (const m of metrics) registry.registerMetric(m as unknown as Metric);
  return registry;
}
