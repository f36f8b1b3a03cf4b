import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, type IstioRequestLabels, type TelemetryReport, type TelemetrySeries, type WindowHistogram } from '@jetmesh/model';

interface MutableHistogram {
  counts: number[];
  sum: number;
}

interface MutableSeries {
  readonly labels: IstioRequestLabels;
  requests: number;
  readonly durationMs: MutableHistogram;
  readonly requestBytes: MutableHistogram;
  readonly responseBytes: MutableHistogram;
}

/** One request, as the aggregator counts it. */
export interface RequestSample {
  readonly labels: IstioRequestLabels;
  readonly durationMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

const newHistogram = (buckets: readonly number[]): MutableHistogram => ({ counts: new Array<number>(buckets.length + 1).fill(0), sum: 0 });

const observe = (h: MutableHistogram, buckets: readonly number[], value: number): void => {
  let i = 0;
  while (i < buckets.length && value > (buckets[i] ?? Infinity)) i += 1;
  h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.sum += value;
};

const freeze = (h: MutableHistogram): WindowHistogram => ({ counts: [...h.counts], sum: h.sum });

const seriesKey = (labels: IstioRequestLabels): string => ISTIO_REQUEST_LABELS.map((l) => labels[l]).join('\u0000');

/**
 * Folds requests into one window of series (Istio's labels → counts and histograms); `flush`
 * closes the window as a TelemetryReport. Pure: the clock and ids are the caller's. Memory is
 * bounded: past `maxSeries` distinct label sets in a window, requests are counted in
 * `overflowRequests` instead of a new series.
 */
export class ReportAggregator {
  private series = new Map<string, MutableSeries>();
  private overflow = 0;
  private windowStart: number;

  constructor(
    private readonly workload: { readonly namespace: string; readonly name: string },
    private readonly maxSeries: number,
    startMs: number,
  ) {
    this.windowStart = startMs;
  }

  add(sample: RequestSample): void {
    const key = seriesKey(sample.labels);
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= this.maxSeries) {
        this.overflow += 1;
        return;
      }
      s = { labels: sample.labels, requests: 0, durationMs: newHistogram(ISTIO_DURATION_BUCKETS_MS), requestBytes: newHistogram(ISTIO_BYTE_BUCKETS), responseBytes: newHistogram(ISTIO_BYTE_BUCKETS) };
      this.series.set(key, s);
    }
    s.requests += 1;
    observe(s.durationMs, ISTIO_DURATION_BUCKETS_MS, sample.durationMs);
    observe(s.requestBytes, ISTIO_BYTE_BUCKETS, sample.requestBytes);
    observe(s.responseBytes, ISTIO_BYTE_BUCKETS, sample.responseBytes);
  }

  /** Closes the window at `nowMs`; undefined when nothing happened in it. */
  flush(nowMs: number, id: string): TelemetryReport | undefined {
    const start = this.windowStart;
    this.windowStart = nowMs;
    if (this.series.size === 0 && this.overflow === 0) return undefined;
    const series: TelemetrySeries[] = [...this.series.values()].map((s) => ({
      labels: s.labels,
      requests: s.requests,
      durationMs: freeze(s.durationMs),
      requestBytes: freeze(s.requestBytes),
      responseBytes: freeze(s.responseBytes),
    }));
    const reporters = new Set(series.map((s) => s.labels.reporter));
    const report: TelemetryReport = {
      id,
      reporter: reporters.size === 1 && reporters.has('destination') ? 'destination' : reporters.size === 1 ? 'source' : 'both',
      workload: this.workload,
      window: { start: new Date(start).toISOString(), end: new Date(nowMs).toISOString() },
      series,
      overflowRequests: this.overflow,
    };
    this.series = new Map();
    this.overflow = 0;
    return report;
  }
}
