import { randomUUID } from 'node:crypto';
import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, type IstioRequestLabels, type TelemetryReport, type TelemetrySeries, type WindowHistogram } from '@jetmesh/model';

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

import { measure, recordLabels, seriesKey, type RequestRecord } from './request-record.js';

const newHistogram = (buckets: readonly number[]): MutableHistogram => ({ counts: new Array<number>(buckets.length + 1).fill(0), sum: 0 });

// Prometheus buckets are upper-inclusive (`le`): a value equal to a bound counts in that bucket.
const observe = (h: MutableHistogram, buckets: readonly number[], raw: number): void => {
  const value = measure(raw);
  let i = 0;
  while (i < buckets.length && value > (buckets[i] ?? Infinity)) i += 1;
  h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.sum += value;
};

const freeze = (h: MutableHistogram): WindowHistogram => ({ counts: [...h.counts], sum: h.sum });

export interface AggregatorOptions {
  /** Report ids (default: random UUIDs); unique per report, so a consumer counts a redelivered one once. */
  readonly newId?: () => string;
}

/**
 * Folds requests into one window of series (Istio's labels → counts and histograms); `flush`
 * closes the window as a TelemetryReport. Pure: the clock and ids are the caller's. Memory is
 * bounded: past `maxSeries` distinct label sets in a window, a request with a new label set is
 * dropped from the series and counted in `overflowRequests` (no invented "overflow" label
 * values on Istio's dashboards); label sets already in the window keep counting.
 */
export class ReportAggregator {
  private series = new Map<string, MutableSeries>();
  private overflow = 0;
  private windowStart: number;
  private readonly newId: () => string;

  constructor(
    private readonly workload: { readonly namespace: string; readonly name: string },
    private readonly maxSeries: number,
    startMs: number,
    opts: AggregatorOptions = {},
  ) {
    this.windowStart = startMs;
    this.newId = opts.newId ?? randomUUID;
  }

  /** Requests counted in the window in progress (series and overflow). */
  get pending(): number {
    let n = this.overflow;
    for (const s of this.series.values()) n += s.requests;
    return n;
  }

  addRecord(record: RequestRecord): void {
    this.add({ labels: recordLabels(record), durationMs: record.durationMs, requestBytes: record.requestBytes, responseBytes: record.responseBytes });
  }

  add(sample: RequestSample): void {
    this.addSeries(seriesKey(sample.labels), sample);
  }

  /** `add` with the series key (`seriesKey(sample.labels)`) the caller already built. */
  addSeries(key: string, sample: RequestSample): void {
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

  /** Closes the window at `nowMs`; undefined when nothing happened in it. `id` defaults to the injected generator's. */
  flush(nowMs: number, id?: string): TelemetryReport | undefined {
    // A clock stepped back must not make a window end before it starts (the codec refuses that).
    const end = Math.max(nowMs, this.windowStart);
    const start = this.windowStart;
    this.windowStart = end;
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
      id: id ?? this.newId(),
      reporter: reporters.size === 1 && reporters.has('destination') ? 'destination' : reporters.size === 1 ? 'source' : 'both',
      workload: this.workload,
      window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
      series,
      overflowRequests: this.overflow,
    };
    this.series = new Map();
    this.overflow = 0;
    return report;
  }
}
