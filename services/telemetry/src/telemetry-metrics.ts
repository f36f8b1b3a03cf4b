import { Counter, Gauge, type Registry } from 'prom-client';
import { REJECT_REASONS, type RejectReason } from './metrics/report-fold.js';
import { SPAN_EXPORT_FAILURES } from './tracing/otlp-span-export.js';
import { SPAN_BATCH_REJECT_REASONS } from './tracing/span-batch-reader.js';

/** Where the overflowed requests were left out: by the proxy's per-window cap, or by this replica's series cap. */
export type OverflowStage = 'proxy' | 'telemetry';

/** The telemetry service's own metrics, on its admin port beside the runtime's process metrics. */
export interface TelemetryMetrics {
  readonly reports: Counter;
  readonly requests: Counter;
  readonly rejected: Counter<'reason'>;
  readonly overflowRequests: Counter<'stage'>;
  /** Spans in the batches decoded (tracing: only when an OTLP collector is configured). */
  readonly spansReceived: Counter;
  readonly spansExported: Counter;
  readonly spanExportFailures: Counter<'reason'>;
  readonly spanBatchesRejected: Counter<'reason'>;
  /** Spans the proxies said they gave up on (their buffer full, NATS away). */
  readonly spansDroppedByProxies: Counter;
  /** Set by collect: what the fold holds. */
  observe(sizes: () => { series: number; reportIds: number; topServices: number }): void;
}

export function createTelemetryMetrics(registry: Registry): TelemetryMetrics {
  const registers = [registry];
  let sizes = (): { series: number; reportIds: number; topServices: number } => ({ series: 0, reportIds: 0, topServices: 0 });
  const rejected = new Counter({
    name: 'jetmesh_telemetry_rejected_total',
    help: 'Reports not counted, by reason: not_json, invalid (the strict codec of its format refused it), unsupported_format (a format this replica does not read), inconsistent (histogram counts do not add up to the requests), duplicate (an id counted already), too_old (before the dedupe window)',
    labelNames: ['reason'],
    registers,
  });
  const overflowRequests = new Counter({
    name: 'jetmesh_telemetry_overflow_requests_total',
    help: "Requests in no Istio series: stage proxy = past a proxy's per-window label-set cap (the report's overflowRequests), telemetry = past this replica's series cap",
    labelNames: ['stage'],
    registers,
  });
  const spanExportFailures = new Counter({
    name: 'jetmesh_telemetry_spans_export_failures_total',
    help: 'Trace spans not exported, by reason: export (the collector failed, refused or was unreachable within the timeout), queue_full (more waiting than the queue holds)',
    labelNames: ['reason'],
    registers,
  });
  const spanBatchesRejected = new Counter({
    name: 'jetmesh_telemetry_span_batches_rejected_total',
    help: 'Span batches not exported because they could not be read, by reason: not_json, invalid (the strict codec refused it)',
    labelNames: ['reason'],
    registers,
  });
  // Zero from the start, so a rate() over them exists before the first problem.
  for (const reason of SPAN_EXPORT_FAILURES) spanExportFailures.inc({ reason }, 0);
  for (const reason of SPAN_BATCH_REJECT_REASONS) spanBatchesRejected.inc({ reason }, 0);
  for (const reason of REJECT_REASONS) rejected.inc({ reason: reason satisfies RejectReason }, 0);
  for (const stage of ['proxy', 'telemetry'] satisfies OverflowStage[]) overflowRequests.inc({ stage }, 0);
  new Gauge({ name: 'jetmesh_telemetry_series', help: 'Istio label sets this replica holds', registers, collect() { this.set(sizes().series); } });
  new Gauge({ name: 'jetmesh_telemetry_report_ids', help: 'Report ids remembered to drop redeliveries', registers, collect() { this.set(sizes().reportIds); } });
  new Gauge({ name: 'jetmesh_telemetry_top_services', help: "Destination services (per reporter side) in jetmesh top's last minute", registers, collect() { this.set(sizes().topServices); } });
  return {
    reports: new Counter({ name: 'jetmesh_telemetry_reports_total', help: 'Reports folded into the Istio metrics', registers }),
    requests: new Counter({ name: 'jetmesh_telemetry_requests_total', help: 'Requests folded into istio_requests_total (both reporters: a request through two proxies counts twice)', registers }),
    rejected,
    overflowRequests,
    spansReceived: new Counter({ name: 'jetmesh_telemetry_spans_received_total', help: 'Trace spans read from the proxies\' batches', registers }),
    spansExported: new Counter({ name: 'jetmesh_telemetry_spans_exported_total', help: 'Trace spans the OTLP collector accepted', registers }),
    spanExportFailures,
    spanBatchesRejected,
    spansDroppedByProxies: new Counter({ name: 'jetmesh_telemetry_spans_dropped_by_proxies_total', help: 'Trace spans the proxies reported they gave up on before sending (buffer full, NATS away)', registers }),
    observe: (s) => (sizes = s),
  };
}
