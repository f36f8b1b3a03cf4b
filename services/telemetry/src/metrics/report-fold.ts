import type { TelemetryReport, TelemetrySeries } from '@jetmesh/model';
import { IstioSeriesTable } from './istio-series-table.js';
import { ReportDedupe } from './report-dedupe.js';
import { TopWindow, TOP_WINDOW_SECONDS } from './top-window.js';

/** Why a report was not counted (jetmesh_telemetry_rejected_total's `reason`). */
export type RejectReason =
  /** Not JSON at all. */
  | 'not_json'
  /** JSON the strict codec of its format refuses. */
  | 'invalid'
  /** A `format` this replica does not read (a proxy newer than it). */
  | 'unsupported_format'
  /** Decodes, but a histogram's counts do not add up to the series' requests. */
  | 'inconsistent'
  /** An id already counted (a proxy resends what it could not confirm). */
  | 'duplicate'
  /** Its window ended before what the dedupe still remembers: it cannot be told from a redelivery. */
  | 'too_old';

export const REJECT_REASONS: readonly RejectReason[] = ['not_json', 'invalid', 'unsupported_format', 'inconsistent', 'duplicate', 'too_old'];

export type FoldOutcome =
  | {
      readonly counted: true;
      /** Requests added to Istio's series. */
      readonly requests: number;
      /** The report's own overflowRequests (label sets past the proxy's cap). */
      readonly proxyOverflow: number;
      /** Requests of label sets past this replica's series cap, in no series. */
      readonly seriesOverflow: number;
    }
  | { readonly counted: false; readonly reason: RejectReason; readonly detail: string };

export interface FoldOptions {
  /** Distinct Istio label sets held (the exposition's size). */
  readonly maxSeries: number;
  readonly dedupeWindowMs: number;
  readonly maxReportIds: number;
  readonly topWindowSeconds?: number;
}

const countsTotal = (counts: readonly number[]): number => {
  let n = 0;
  for (const c of counts) n += c;
  return n;
};

/** Why `s` cannot be a window of Istio series (each histogram counts every request once), if it cannot. */
const inconsistency = (s: TelemetrySeries, index: number): string | undefined => {
  for (const h of ['durationMs', 'requestBytes', 'responseBytes'] as const) {
    const total = countsTotal(s[h].counts);
    if (total !== s.requests) return `series[${index}].${h}: counts add up to ${total}, not the ${s.requests} requests`;
  }
  return undefined;
};

/**
 * Reports → Istio's cumulative series and `top`'s last minute, each report counted at most
 * once. Order does not matter: a late or out-of-order window adds to the counters as it comes
 * (they are totals since start) and lands in its own second of the top window. Pure: the
 * clock is the caller's.
 */
export class ReportFold {
  readonly series: IstioSeriesTable;
  readonly top: TopWindow;
  readonly dedupe: ReportDedupe;

  constructor(opts: FoldOptions) {
    this.series = new IstioSeriesTable(opts.maxSeries);
    this.top = new TopWindow(opts.topWindowSeconds ?? TOP_WINDOW_SECONDS);
    this.dedupe = new ReportDedupe({ windowMs: opts.dedupeWindowMs, maxIds: opts.maxReportIds });
  }

  add(report: TelemetryReport, nowMs: number): FoldOutcome {
    for (const [i, s] of report.series.entries()) {
      const why = inconsistency(s, i);
      if (why !== undefined) return { counted: false, reason: 'inconsistent', detail: why };
    }
    // The codec checked the window is RFC 3339, so it parses.
    const endMs = Date.parse(report.window.end);
    const admission = this.dedupe.admit(report.id, endMs, nowMs);
    if (admission === 'duplicate') return { counted: false, reason: 'duplicate', detail: `report ${report.id} was counted already` };
    if (admission === 'too_old') return { counted: false, reason: 'too_old', detail: `report ${report.id}'s window ended ${report.window.end}, before the dedupe window` };
    let requests = 0;
    let seriesOverflow = 0;
    for (const s of report.series) {
      const held = this.series.add(s);
      if (held === undefined) {
        seriesOverflow += s.requests;
        continue;
      }
      requests += s.requests;
      this.top.add(s, held.labels, endMs, nowMs);
    }
    return { counted: true, requests, proxyOverflow: report.overflowRequests, seriesOverflow };
  }
}
