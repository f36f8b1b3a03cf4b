import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, type IstioRequestLabels, type WindowHistogram } from './telemetry-report.js';

/*
 * Istio's four standard request metrics (istio_requests_total and the three histograms), one
 * implementation for both places that export them: the proxy's /stats (one request at a time,
 * through its prom-client registry) and the telemetry service's /metrics (a proxy's window at a
 * time, as Prometheus text). Same names, types, help, buckets and labels in both. Counts are
 * kept per series and per bucket and made cumulative only when scraped: prom-client's Counter
 * and Histogram hash the 21 labels on every observation, and a report brings bucket counts,
 * which they cannot take. Pure: no registry, no I/O; the caller registers or serves.
 */

/** A histogram since start: `counts[i]` = observations in bucket i (not cumulative; +Inf last), and their sum. */
export interface IstioHistogramCounts {
  readonly counts: Float64Array;
  sum: number;
}

/** One Istio series since start: the values of the four metrics for one label set. */
export interface IstioRequestSeries {
  readonly labels: IstioRequestLabels;
  requests: number;
  readonly durationMs: IstioHistogramCounts;
  readonly requestBytes: IstioHistogramCounts;
  readonly responseBytes: IstioHistogramCounts;
}

type HistogramField = 'durationMs' | 'requestBytes' | 'responseBytes';

interface HistogramSpec {
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
  readonly field: HistogramField;
}

const counter = (name: string, help: string) => ({ name, help, type: 'counter' as const });
const histogram = (name: string, help: string, buckets: readonly number[], field: HistogramField): HistogramSpec & { type: 'histogram' } => ({ name, help, buckets, field, type: 'histogram' });

/** The four metrics, in the order they are exported. */
export const ISTIO_REQUESTS_TOTAL = counter('istio_requests_total', 'Requests, counted by the proxy that carried them (reporter source or destination; Istio standard metric)');
export const ISTIO_HISTOGRAMS: readonly (HistogramSpec & { type: 'histogram' })[] = [
  histogram('istio_request_duration_milliseconds', 'Request duration in milliseconds (Istio standard metric)', ISTIO_DURATION_BUCKETS_MS, 'durationMs'),
  histogram('istio_request_bytes', 'Request body sizes in bytes (Istio standard metric)', ISTIO_BYTE_BUCKETS, 'requestBytes'),
  histogram('istio_response_bytes', 'Response body sizes in bytes (Istio standard metric)', ISTIO_BYTE_BUCKETS, 'responseBytes'),
];

const emptyCounts = (buckets: readonly number[]): IstioHistogramCounts => ({ counts: new Float64Array(buckets.length + 1), sum: 0 });

export function newIstioRequestSeries(labels: IstioRequestLabels): IstioRequestSeries {
  return { labels, requests: 0, durationMs: emptyCounts(ISTIO_DURATION_BUCKETS_MS), requestBytes: emptyCounts(ISTIO_BYTE_BUCKETS), responseBytes: emptyCounts(ISTIO_BYTE_BUCKETS) };
}

// Prometheus buckets are upper-inclusive (`le`); a value past the last bound only counts in +Inf.
const observe = (h: IstioHistogramCounts, buckets: readonly number[], value: number): void => {
  let i = 0;
  while (i < buckets.length && value > buckets[i]!) i += 1;
  h.counts[i] = h.counts[i]! + 1;
  h.sum += value;
};

/** One request of series `s`; the values are finite and >= 0 (the caller's to make so). */
export function observeIstioRequest(s: IstioRequestSeries, durationMs: number, requestBytes: number, responseBytes: number): void {
  s.requests += 1;
  observe(s.durationMs, ISTIO_DURATION_BUCKETS_MS, durationMs);
  observe(s.requestBytes, ISTIO_BYTE_BUCKETS, requestBytes);
  observe(s.responseBytes, ISTIO_BYTE_BUCKETS, responseBytes);
}

const addCounts = (h: IstioHistogramCounts, w: WindowHistogram): void => {
  const c = h.counts;
  for (let i = 0; i < c.length; i++) c[i] = c[i]! + (w.counts[i] ?? 0);
  h.sum += w.sum;
};

/** A proxy's window of series `s` (a report's TelemetrySeries). */
export function addIstioWindow(s: IstioRequestSeries, window: { readonly requests: number; readonly durationMs: WindowHistogram; readonly requestBytes: WindowHistogram; readonly responseBytes: WindowHistogram }): void {
  s.requests += window.requests;
  addCounts(s.durationMs, window.durationMs);
  addCounts(s.requestBytes, window.requestBytes);
  addCounts(s.responseBytes, window.responseBytes);
}

export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabelValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** `reporter="source",…` in Istio's label order. */
export const istioLabelText = (labels: IstioRequestLabels): string => ISTIO_REQUEST_LABELS.map((l) => `${l}="${escapeLabelValue(labels[l])}"`).join(',');

const les = (bounds: readonly number[]): string[] => [...bounds.map((b) => `,le="${b}"}`), ',le="+Inf"}'];
const LES = new Map(ISTIO_HISTOGRAMS.map((h) => [h.name, les(h.buckets)]));

/**
 * The four metrics in Prometheus' text format (0.0.4). A series' label text is written once,
 * when first scraped, and a scrape only joins strings: escaping 21 labels again on each of a
 * series' ~70 lines made a scrape of 400 series cost ~0.45 s of CPU (~70 ms this way).
 */
export class IstioMetricsText {
  private readonly labels = new WeakMap<IstioRequestSeries, string>();

  private labelsOf(s: IstioRequestSeries): string {
    let text = this.labels.get(s);
    if (text === undefined) {
      text = istioLabelText(s.labels);
      this.labels.set(s, text);
    }
    return text;
  }

  text(all: Iterable<IstioRequestSeries>): string {
    const series = [...all];
    const texts = series.map((s) => this.labelsOf(s));
    const r = ISTIO_REQUESTS_TOTAL;
    const out: string[] = [`# HELP ${r.name} ${r.help}`, `# TYPE ${r.name} counter`];
    for (let i = 0; i < series.length; i++) out.push(`${r.name}{${texts[i]}} ${series[i]!.requests}`);
    for (const h of ISTIO_HISTOGRAMS) {
      const le = LES.get(h.name)!;
      out.push(`# HELP ${h.name} ${h.help}`, `# TYPE ${h.name} histogram`);
      for (let i = 0; i < series.length; i++) {
        const { counts, sum } = series[i]![h.field];
        const labels = texts[i]!;
        const bucket = `${h.name}_bucket{${labels}`;
        let running = 0;
        for (let b = 0; b < le.length; b++) {
          running += counts[b]!;
          out.push(`${bucket}${le[b]} ${running}`);
        }
        out.push(`${h.name}_sum{${labels}} ${sum}`, `${h.name}_count{${labels}} ${running}`);
      }
    }
    out.push('');
    return out.join('\n');
  }
}

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

/** What prom-client's Registry asks of a metric it renders (`registerMetric`), described here so this package needs no prom-client. */
export interface IstioRegistryMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<MetricData>;
  getForPromString(): Promise<MetricData>;
  reset(): void;
}

/**
 * The four metrics as objects a prom-client Registry renders (text and JSON) among a service's
 * own, exactly as prom-client's Counter and Histograms of the same observations would
 * (property-tested in the proxy's telemetry-stats test).
 */
export function istioRegistryMetrics(series: () => Iterable<IstioRequestSeries>, reset: () => void): IstioRegistryMetric[] {
  const r = ISTIO_REQUESTS_TOTAL;
  const requests = (): MetricData => ({ name: r.name, help: r.help, type: 'counter', values: [...series()].map((s) => ({ value: s.requests, labels: s.labels })), aggregator: 'sum' });
  const metrics: IstioRegistryMetric[] = [{ name: r.name, help: r.help, type: 'counter', aggregator: 'sum', get: async () => requests(), getForPromString: async () => requests(), reset }];
  for (const h of ISTIO_HISTOGRAMS) {
    // As prom-client's Histogram: `le` as the value's own labels, the series as shared labels.
    const forPromString = (): MetricData => {
      const values: MetricValue[] = [];
      for (const s of series()) {
        const { counts, sum } = s[h.field];
        let acc = 0;
        for (let i = 0; i < h.buckets.length; i++) {
          acc += counts[i]!;
          values.push({ labels: { le: h.buckets[i]! }, sharedLabels: s.labels, value: acc, metricName: `${h.name}_bucket`, exemplar: null });
        }
        values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.requests, metricName: `${h.name}_bucket`, exemplar: null });
        values.push({ labels: {}, sharedLabels: s.labels, value: sum, metricName: `${h.name}_sum`, exemplar: undefined });
        values.push({ labels: {}, sharedLabels: s.labels, value: s.requests, metricName: `${h.name}_count`, exemplar: undefined });
      }
      return { name: h.name, help: h.help, type: 'histogram', values, aggregator: 'sum' };
    };
    const get = (): MetricData => {
      const d = forPromString();
      return { ...d, values: d.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) };
    };
    metrics.push({ name: h.name, help: h.help, type: 'histogram', aggregator: 'sum', get: async () => get(), getForPromString: async () => forPromString(), reset });
  }
  return metrics;
}
