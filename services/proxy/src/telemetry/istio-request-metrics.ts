import type { Registry } from 'prom-client';
import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, type IstioRequestLabels } from '@jetmesh/model';
import { measure } from './request-record.js';

/*
 * Istio's four per-request metrics on /stats, counted per series under one key the caller
 * builds once per request. prom-client's Counter and Histogram hash the 21 labels again on
 * every observation (four times a request); these render the same exposition text from plain
 * counts, and only when scraped.
 */

interface SeriesCounts {
  readonly labels: IstioRequestLabels;
  requests: number;
  readonly duration: Float64Array;
  readonly requestBytes: Float64Array;
  readonly responseBytes: Float64Array;
}

// Per bucket (not cumulative), then the sum: index buckets.length holds the sum.
const newCounts = (buckets: readonly number[]): Float64Array => new Float64Array(buckets.length + 1);

// Prometheus buckets are upper-inclusive (`le`); a value past the last bound only counts in +Inf.
const add = (h: Float64Array, buckets: readonly number[], raw: number): void => {
  const value = measure(raw);
  let i = 0;
  while (i < buckets.length && value > (buckets[i] as number)) i += 1;
  if (i < buckets.length) h[i] = (h[i] as number) + 1;
  h[buckets.length] = (h[buckets.length] as number) + value;
};

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly sharedLabels?: IstioRequestLabels;
  readonly metricName?: string;
  readonly exemplar?: null | undefined;
}

interface MetricData {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: MetricValue[];
  readonly aggregator: 'sum';
}

/** What prom-client's Registry asks of a metric it renders (`registerMetric`). */
interface RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<MetricData>;
  getForPromString(): Promise<MetricData>;
  reset(): void;
}

export class IstioRequestMetrics {
  private series = new Map<string, SeriesCounts>();

  constructor(registry: Registry) {
    const counter = (name: string, help: string): RegisteredMetric => {
      const data = (): MetricData => ({ name, help, type: 'counter', values: [...this.series.values()].map((s) => ({ value: s.requests, labels: s.labels })), aggregator: 'sum' });
      return { name, help, type: 'counter', aggregator: 'sum', get: async () => data(), getForPromString: async () => data(), reset: () => this.reset() };
    };
    const histogram = (name: string, help: string, buckets: readonly number[], of: (s: SeriesCounts) => Float64Array): RegisteredMetric => {
      // As prom-client's Histogram: `le` as the value's own labels, the series as shared labels.
      const forPromString = (): MetricData => {
        const values: MetricValue[] = [];
        for (const s of this.series.values()) {
          const h = of(s);
          let acc = 0;
          for (let i = 0; i < buckets.length; i++) {
            acc += h[i] as number;
            values.push({ labels: { le: buckets[i] as number }, sharedLabels: s.labels, value: acc, metricName: `${name}_bucket`, exemplar: null });
          }
          values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.requests, metricName: `${name}_bucket`, exemplar: null });
          values.push({ labels: {}, sharedLabels: s.labels, value: h[buckets.length] as number, metricName: `${name}_sum`, exemplar: undefined });
          values.push({ labels: {}, sharedLabels: s.labels, value: s.requests, metricName: `${name}_count`, exemplar: undefined });
        }
        return { name, help, type: 'histogram', values, aggregator: 'sum' };
      };
      const get = (): MetricData => {
        const d = forPromString();
        return { ...d, values: d.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
      };
      return { name, help, type: 'histogram', aggregator: 'sum', get: async () => get(), getForPromString: async () => forPromString(), reset: () => this.reset() };
    };
    // The Registry renders any object of this shape; its typings only name its own classes.
    const register = (m: RegisteredMetric): void => registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
    register(counter('istio_requests_total', 'Requests carried by this proxy (Istio standard metric)'));
    register(histogram('istio_request_duration_milliseconds', 'Request duration (Istio standard metric)', ISTIO_DURATION_BUCKETS_MS, (s) => s.duration));
    register(histogram('istio_request_bytes', 'Request body sizes (Istio standard metric)', ISTIO_BYTE_BUCKETS, (s) => s.requestBytes));
    register(histogram('istio_response_bytes', 'Response body sizes (Istio standard metric)', ISTIO_BYTE_BUCKETS, (s) => s.responseBytes));
  }

  /** One request of the series `key` (a string naming `labels` one to one). */
  record(key: string, labels: IstioRequestLabels, durationMs: number, requestBytes: number, responseBytes: number): void {
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels, requests: 0, duration: newCounts(ISTIO_DURATION_BUCKETS_MS), requestBytes: newCounts(ISTIO_BYTE_BUCKETS), responseBytes: newCounts(ISTIO_BYTE_BUCKETS) };
      this.series.set(key, s);
    }
    s.requests += 1;
    add(s.duration, ISTIO_DURATION_BUCKETS_MS, durationMs);
    add(s.requestBytes, ISTIO_BYTE_BUCKETS, requestBytes);
    add(s.responseBytes, ISTIO_BYTE_BUCKETS, responseBytes);
  }

  reset(): void {
    this.series = new Map();
  }
}
