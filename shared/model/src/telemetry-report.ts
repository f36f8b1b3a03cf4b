import type * as t from 'io-ts';
import { type Either, right } from 'fp-ts/lib/Either.js';
import { decodeWith, enumOf, list, nonNegativeInt, num, refine, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/*
 * What a proxy reports about the requests it carried, once per window (a second), on
 * `mesh.telemetry.<ns>.<workload>`; the telemetry service folds these into Istio's standard
 * metrics (`istio_requests_total`, `istio_request_duration_milliseconds`, `istio_request_bytes`,
 * `istio_response_bytes`). Each series carries Istio's label set; a value the proxy does not
 * know is "unknown", as in Istio. `id` is unique per report, so a redelivered report is counted
 * once.
 */

/** Istio's standard labels, in Istio's names. */
export const ISTIO_REQUEST_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_canonical_service',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
  'connection_security_policy',
] as const;
export type IstioRequestLabel = (typeof ISTIO_REQUEST_LABELS)[number];
export type IstioRequestLabels = Readonly<Record<IstioRequestLabel, string>>;

/** istio_request_duration_milliseconds buckets. */
export const ISTIO_DURATION_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000] as const;
/** istio_request_bytes / istio_response_bytes buckets. */
export const ISTIO_BYTE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000] as const;

export const UNKNOWN_LABEL = 'unknown';

/**
 * A histogram of one window: counts per bucket, not cumulative (counts[i] = observations in
 * (bucket[i-1], bucket[i]]; the last one is +Inf, so there is one more count than buckets), and
 * the sum of the observed values. Cumulative `le` counts are a running sum of these.
 */
export interface WindowHistogram {
  readonly counts: readonly number[];
  readonly sum: number;
}

export interface TelemetrySeries {
  readonly labels: IstioRequestLabels;
  readonly requests: number;
  readonly durationMs: WindowHistogram;
  readonly requestBytes: WindowHistogram;
  readonly responseBytes: WindowHistogram;
}

export interface TelemetryReport {
  readonly id: string;
  readonly reporter: 'source' | 'destination' | 'both';
  readonly workload: { readonly namespace: string; readonly name: string };
  readonly window: { readonly start: string; readonly end: string };
  readonly series: readonly TelemetrySeries[];
  /**
   * Requests whose label set did not fit the per-window series cap: not in any series (so they
   * add to no Istio metric and invent no label values) but counted here.
   */
  readonly overflowRequests: number;
}

// RFC 3339 with a time zone, as `Date#toISOString` writes it; the consumer orders late windows by it.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** Whether `v` is a window bound a report may carry (what the codecs' RFC3339Time accepts). */
export const isReportInstant = (v: string): boolean => RFC3339.test(v) && !Number.isNaN(Date.parse(v));
const instant = refine(str, 'RFC3339Time', (v) => (isReportInstant(v) ? undefined : 'must be an RFC 3339 time (2025-01-01T00:00:00.000Z)'));
const name = refine(str, 'WorkloadName', (v) => (v === '' ? 'must not be empty' : undefined));

/** Longest Istio label value a report may carry. */
export const MAX_LABEL_VALUE_LENGTH = 1024;
/** Whether `v` is a label value a report may carry (what the codecs' IstioLabelValue accepts). */
export const isReportLabelValue = (v: string): boolean => v !== '' && v.length <= MAX_LABEL_VALUE_LENGTH;
/** An Istio label value on the wire: never empty (a value the proxy does not know is "unknown"). */
export const labelValueCodec = refine(str, 'IstioLabelValue', (v) => (v === '' ? 'must not be empty (use "unknown")' : v.length > MAX_LABEL_VALUE_LENGTH ? `must be at most ${MAX_LABEL_VALUE_LENGTH} characters` : undefined));
const label = labelValueCodec;
const histogram = (buckets: number) =>
  struct('WindowHistogram', { counts: refine(list(nonNegativeInt), 'BucketCounts', (c) => (c.length === buckets + 1 ? undefined : `must have ${buckets + 1} counts (one per bucket, then +Inf)`)), sum: refine(num, 'Sum', (n) => (n < 0 ? 'must be >= 0' : undefined)) }, {});
/** The strict codec of a WindowHistogram over `buckets` finite bounds. */
export const windowHistogramCodec = (buckets: number): t.Type<WindowHistogram, unknown, unknown> => histogram(buckets) as unknown as t.Type<WindowHistogram, unknown, unknown>;
const labelsCodec = struct('IstioRequestLabels', Object.fromEntries(ISTIO_REQUEST_LABELS.map((l) => [l, label])) as Record<IstioRequestLabel, typeof label>, {});
const SeriesCodec = struct(
  'TelemetrySeries',
  {
    labels: labelsCodec,
    requests: nonNegativeInt,
    durationMs: histogram(ISTIO_DURATION_BUCKETS_MS.length),
    requestBytes: histogram(ISTIO_BYTE_BUCKETS.length),
    responseBytes: histogram(ISTIO_BYTE_BUCKETS.length),
  },
  {},
);

export const REPORTERS = ['source', 'destination', 'both'] as const;
/** The fields every report format carries as they are: who sent it and when. */
export const reportEnvelopeCodecs = {
  id: refine(str, 'ReportId', (v) => (v === '' ? 'must not be empty' : undefined)),
  reporter: enumOf('Reporter', REPORTERS),
  workload: struct('ReportWorkload', { namespace: name, name }, {}),
  window: refine(struct('ReportWindow', { start: instant, end: instant }, {}), 'ReportWindow', (w) => (Date.parse(w.end) < Date.parse(w.start) ? 'end must not be before start' : undefined)),
};

/**
 * Format 1, the report as one JSON object with named labels (no `format` field). Proxies now
 * send format 2 (telemetry-report-compact.ts); a replica still reads this one, so proxies not
 * yet upgraded are counted.
 */
export const TelemetryReportCodec = struct(
  'TelemetryReport',
  {
    ...reportEnvelopeCodecs,
    series: list(SeriesCodec),
    overflowRequests: nonNegativeInt,
  },
  {},
) as unknown as t.Type<TelemetryReport, unknown, unknown>;

/**
 * Reads a report off the wire (strict: unknown fields, a missing label or a wrong bucket count are refused, all at once).
 * A report the codec's predicate accepts is its own decoding (the codec only copies it, and turns -0 into 0,
 * which no count or sum is worth distinguishing), so the hot path checks without building a copy; anything
 * the predicate refuses goes through the codec, which says why.
 */
export const decodeTelemetryReport = (u: unknown): Either<Invalid[], TelemetryReport> => (TelemetryReportCodec.is(u) ? right(u) : decodeWith(TelemetryReportCodec, u));
