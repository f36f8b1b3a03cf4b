import type * as t from 'io-ts';
import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import { int, list, nonNegativeInt, num, refine, struct, toInvalid } from './codec/schema.js';
import type { Invalid } from './invalid.js';
import {
  ISTIO_BYTE_BUCKETS,
  ISTIO_DURATION_BUCKETS_MS,
  ISTIO_REQUEST_LABELS,
  REPORTERS,
  decodeTelemetryReport,
  isReportInstant,
  isReportLabelValue,
  labelValueCodec,
  reportEnvelopeCodecs,
  type IstioRequestLabels,
  type TelemetryReport,
  type TelemetrySeries,
  type WindowHistogram,
} from './telemetry-report.js';

/*
 * Format 2 of the telemetry report, what proxies send: the same TelemetryReport, with each
 * series one row of numbers and its label values in a dictionary the report carries. Format 1
 * spells Istio's 21 label names and every histogram field in every series; parsing that JSON
 * was most of a telemetry replica's CPU (--cpu-prof on the bench), and rows of small numbers
 * parse several times faster. The dictionary is per report, not per proxy: a proxy's reports go
 * to whichever replica of the queue group, and a dictionary sent once would be missing on the
 * others.
 *
 * A row: the 21 labels' indices into `labelValues` (in ISTIO_REQUEST_LABELS' order), requests,
 * then per histogram (durationMs, requestBytes, responseBytes) its per-bucket counts (+Inf last)
 * and its sum.
 */

/** The `format` of the report this file reads and writes. Format 1 has no `format` field. */
export const COMPACT_REPORT_FORMAT = 2;

const LABELS = ISTIO_REQUEST_LABELS.length;
const REQUESTS_AT = LABELS;
const DURATION_AT = REQUESTS_AT + 1;
const REQUEST_BYTES_AT = DURATION_AT + ISTIO_DURATION_BUCKETS_MS.length + 2;
const RESPONSE_BYTES_AT = REQUEST_BYTES_AT + ISTIO_BYTE_BUCKETS.length + 2;
/** Numbers in one series row. */
export const COMPACT_ROW_LENGTH = RESPONSE_BYTES_AT + ISTIO_BYTE_BUCKETS.length + 2;

/** Where each histogram sits in a row: counts from `at`, `counts` of them, then the sum. */
const HISTOGRAMS = [
  { field: 'durationMs', at: DURATION_AT, counts: ISTIO_DURATION_BUCKETS_MS.length + 1 },
  { field: 'requestBytes', at: REQUEST_BYTES_AT, counts: ISTIO_BYTE_BUCKETS.length + 1 },
  { field: 'responseBytes', at: RESPONSE_BYTES_AT, counts: ISTIO_BYTE_BUCKETS.length + 1 },
] as const;

/** Format 2 as it is on the wire. */
export interface CompactTelemetryReport {
  readonly format: typeof COMPACT_REPORT_FORMAT;
  readonly id: string;
  readonly reporter: TelemetryReport['reporter'];
  readonly workload: TelemetryReport['workload'];
  readonly window: TelemetryReport['window'];
  readonly labelValues: readonly string[];
  readonly series: readonly (readonly number[])[];
  readonly overflowRequests: number;
}

/** What is wrong with each position of a row, all of it (paths relative to the report). */
function rowProblems(w: { labelValues: readonly string[]; series: readonly (readonly number[])[] }): { path: string; reason: string }[] {
  const problems: { path: string; reason: string }[] = [];
  w.series.forEach((row, i) => {
    if (row.length !== COMPACT_ROW_LENGTH) {
      problems.push({ path: `series[${i}]`, reason: `must have ${COMPACT_ROW_LENGTH} numbers (${LABELS} label indices, requests, then each histogram's counts and sum), not ${row.length}` });
      return;
    }
    for (let j = 0; j < LABELS; j++) {
      const v = row[j]!;
      if (!Number.isInteger(v) || v < 0 || v >= w.labelValues.length) problems.push({ path: `series[${i}][${j}]`, reason: `${ISTIO_REQUEST_LABELS[j]}: must be an index into labelValues (0 to ${w.labelValues.length - 1}), not ${v}` });
    }
    const count = (j: number, what: string): void => {
      const v = row[j]!;
      if (!Number.isInteger(v) || v < 0) problems.push({ path: `series[${i}][${j}]`, reason: `${what}: must be an integer >= 0, not ${v}` });
    };
    count(REQUESTS_AT, 'requests');
    for (const h of HISTOGRAMS) {
      for (let b = 0; b < h.counts; b++) count(h.at + b, `${h.field} count ${b}`);
      const sum = row[h.at + h.counts]!;
      if (sum < 0) problems.push({ path: `series[${i}][${h.at + h.counts}]`, reason: `${h.field} sum: must be >= 0, not ${sum}` });
    }
  });
  return problems;
}

/** The strict io-ts codec of format 2's wire shape; every problem named at its path. */
export const CompactTelemetryReportCodec = struct(
  'CompactTelemetryReport',
  {
    format: refine(int, 'ReportFormat', (v) => (v === COMPACT_REPORT_FORMAT ? undefined : `must be ${COMPACT_REPORT_FORMAT}`)),
    ...reportEnvelopeCodecs,
    labelValues: list(labelValueCodec),
    series: list(list(num)),
    overflowRequests: nonNegativeInt,
  },
  {},
  { check: rowProblems },
) as unknown as t.Type<CompactTelemetryReport, unknown, unknown>;

function histogramAt(row: readonly number[], at: number, counts: number): WindowHistogram {
  const c = new Array<number>(counts);
  // `+ 0` turns a -0 into 0, as the codec's numbers do.
  for (let b = 0; b < counts; b++) c[b] = row[at + b]! + 0;
  return { counts: c, sum: row[at + counts]! + 0 };
}

// One literal, so every label set has one shape; filled by a computed key per label it was ~3x slower. Its order is ISTIO_REQUEST_LABELS' (the round-trip test holds it to that).
function labelsAt(r: readonly number[], v: readonly string[]): IstioRequestLabels {
  return {
    reporter: v[r[0]!]!,
    source_workload: v[r[1]!]!,
    source_workload_namespace: v[r[2]!]!,
    source_principal: v[r[3]!]!,
    source_app: v[r[4]!]!,
    source_version: v[r[5]!]!,
    source_canonical_service: v[r[6]!]!,
    destination_workload: v[r[7]!]!,
    destination_workload_namespace: v[r[8]!]!,
    destination_principal: v[r[9]!]!,
    destination_app: v[r[10]!]!,
    destination_version: v[r[11]!]!,
    destination_service: v[r[12]!]!,
    destination_service_name: v[r[13]!]!,
    destination_service_namespace: v[r[14]!]!,
    destination_canonical_service: v[r[15]!]!,
    request_protocol: v[r[16]!]!,
    response_code: v[r[17]!]!,
    grpc_response_status: v[r[18]!]!,
    response_flags: v[r[19]!]!,
    connection_security_policy: v[r[20]!]!,
  };
}

/** The report a (checked) format 2 wire value stands for. */
function expand(w: CompactTelemetryReport): TelemetryReport {
  const series = new Array<TelemetrySeries>(w.series.length);
  for (let i = 0; i < w.series.length; i++) {
    const row = w.series[i]!;
    series[i] = {
      labels: labelsAt(row, w.labelValues),
      requests: row[REQUESTS_AT]! + 0,
      durationMs: histogramAt(row, DURATION_AT, HISTOGRAMS[0].counts),
      requestBytes: histogramAt(row, REQUEST_BYTES_AT, HISTOGRAMS[1].counts),
      responseBytes: histogramAt(row, RESPONSE_BYTES_AT, HISTOGRAMS[2].counts),
    };
  }
  return { id: w.id, reporter: w.reporter, workload: { namespace: w.workload.namespace, name: w.workload.name }, window: { start: w.window.start, end: w.window.end }, series, overflowRequests: w.overflowRequests + 0 };
}

/** `report` as format 2's JSON text. Label values are listed once each, in the order first used. */
export function encodeCompactTelemetryReport(report: TelemetryReport): string {
  const labelValues: string[] = [];
  const indexOf = new Map<string, number>();
  const series = report.series.map((s) => {
    const row: number[] = [];
    for (const l of ISTIO_REQUEST_LABELS) {
      const v = s.labels[l];
      let i = indexOf.get(v);
      if (i === undefined) {
        i = labelValues.length;
        labelValues.push(v);
        indexOf.set(v, i);
      }
      row.push(i);
    }
    row.push(s.requests);
    for (const h of HISTOGRAMS) row.push(...s[h.field].counts, s[h.field].sum);
    return row;
  });
  const wire: CompactTelemetryReport = { format: COMPACT_REPORT_FORMAT, id: report.id, reporter: report.reporter, workload: report.workload, window: report.window, labelValues, series, overflowRequests: report.overflowRequests };
  return JSON.stringify(wire);
}

/** The plain decoding of format 2: the io-ts codec, then the rows expanded. */
export function decodeCompactTelemetryReportPlain(u: unknown): Either<Invalid[], TelemetryReport> {
  const r = CompactTelemetryReportCodec.decode(u);
  return isLeft(r) ? left(toInvalid(r.left)) : right(expand(r.right));
}

const FIELDS = ['format', 'id', 'reporter', 'workload', 'window', 'labelValues', 'series', 'overflowRequests'] as const;
const REPORTER_SET: ReadonlySet<unknown> = new Set(REPORTERS);

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
const nonNegativeInteger = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Whether `u` is an object with exactly these own fields (what the strict struct accepts as to keys). */
function hasExactly(u: Record<string, unknown>, fields: readonly string[]): boolean {
  let n = 0;
  for (const k in u) {
    if (Object.hasOwn(u, k)) n++;
  }
  if (n !== fields.length) return false;
  for (const f of fields) if (!Object.hasOwn(u, f) || u[f] === undefined || u[f] === null) return false;
  return true;
}

const WORKLOAD_FIELDS = ['namespace', 'name'] as const;
const WINDOW_FIELDS = ['start', 'end'] as const;

/**
 * Format 2 in one pass without the codec's contexts: a report it accepts, the codec accepts
 * with an equal value; for anything else it answers undefined and the report goes to the codec, which says why
 * (property-tested in telemetry-report-compact.property.test.ts).
 */
export function fastDecodeCompactTelemetryReport(u: unknown): TelemetryReport | undefined {
  if (!isObject(u) || !hasExactly(u, FIELDS) || u.format !== COMPACT_REPORT_FORMAT) return undefined;
  const { id, reporter, workload, window, labelValues, series, overflowRequests } = u;
  if (!nonEmptyString(id) || !REPORTER_SET.has(reporter) || !nonNegativeInteger(overflowRequests)) return undefined;
  if (!isObject(workload) || !hasExactly(workload, WORKLOAD_FIELDS) || !nonEmptyString(workload.namespace) || !nonEmptyString(workload.name)) return undefined;
  if (!isObject(window) || !hasExactly(window, WINDOW_FIELDS)) return undefined;
  const { start, end } = window;
  if (typeof start !== 'string' || typeof end !== 'string' || !isReportInstant(start) || !isReportInstant(end) || Date.parse(end) < Date.parse(start)) return undefined;
  if (!Array.isArray(labelValues) || !Array.isArray(series)) return undefined;
  const values = labelValues as unknown[];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string' || !isReportLabelValue(v)) return undefined;
  }
  const rows = series as unknown[];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== COMPACT_ROW_LENGTH) return undefined;
    for (let j = 0; j < LABELS; j++) {
      const v: unknown = row[j];
      if (!nonNegativeInteger(v) || v >= values.length) return undefined;
    }
    if (!nonNegativeInteger(row[REQUESTS_AT])) return undefined;
    for (const h of HISTOGRAMS) {
      for (let b = 0; b < h.counts; b++) if (!nonNegativeInteger(row[h.at + b])) return undefined;
      const sum: unknown = row[h.at + h.counts];
      if (typeof sum !== 'number' || !Number.isFinite(sum) || sum < 0) return undefined;
    }
  }
  return expand(u as unknown as CompactTelemetryReport);
}

/** Format 2 off the wire: the one-pass check, and the codec (which names every problem) for anything it declines. */
export function decodeCompactTelemetryReport(u: unknown): Either<Invalid[], TelemetryReport> {
  const fast = fastDecodeCompactTelemetryReport(u);
  return fast !== undefined ? right(fast) : decodeCompactTelemetryReportPlain(u);
}

/** Why a report off the wire was not read. */
export type TelemetryReportRefusal =
  /** A `format` this replica does not read (a newer proxy's, or a bad value). */
  | { readonly reason: 'unsupported_format'; readonly format: unknown }
  /** The format's strict codec refused it. */
  | { readonly reason: 'invalid'; readonly problems: Invalid[] };

/**
 * Any report a proxy may send, by its `format`: none is format 1 (proxies before the compact
 * format), 2 is this file's; anything else is refused as unsupported, not guessed at.
 */
export function decodeTelemetryReportWire(u: unknown): Either<TelemetryReportRefusal, TelemetryReport> {
  const format = isObject(u) && Object.hasOwn(u, 'format') ? u.format : undefined;
  if (format === undefined) {
    const v1 = decodeTelemetryReport(u);
    return isLeft(v1) ? left({ reason: 'invalid', problems: v1.left }) : v1;
  }
  if (format !== COMPACT_REPORT_FORMAT) return left({ reason: 'unsupported_format', format });
  const v2 = decodeCompactTelemetryReport(u);
  return isLeft(v2) ? left({ reason: 'invalid', problems: v2.left }) : v2;
}
