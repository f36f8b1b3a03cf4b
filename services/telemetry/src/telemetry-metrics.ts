import { Counter, Gauge, type Registry } from 'prom-client';
import { REJECT_REASONS, type RejectReason } from './metrics/report-fold.js';

/** Where the overflowed requests were left out: by the proxy's per-window cap, or by this replica's series cap. */
export type OverflowStage = 'proxy' | 'telemetry';

/** The telemetry service's own metrics, on its admin port beside the runtime's process metrics. */
export interface TelemetryMetrics {
  readonly reports: Counter;
  readonly requests: Counter;
  readonly rejected: Counter<'reason'>;
  readonly overflowRequests: Counter<'stage'>;
  /** Set by collect: what the fold holds. */
  observe(sizes: () => { series: number; reportIds: number; topServices: number }): void;
}

export function createTelemetryMetrics(registry: Registry): TelemetryMetrics {
  const registers = [registry];
  let sizes = (): { series: number; reportIds: number; topServices: number } => ({ series: 0, reportIds: 0, topServices: 0 });
  const rejected = new Counter({
    name: 'jetmesh_telemetry_rejected_total',
    help: 'Reports not counted, by reason: not_json, invalid (the strict codec refused it), inconsistent (histogram counts do not add up to the requests), duplicate (an id counted already), too_old (before the dedupe window)',
    labelNames: ['reason'],
    registers,
  });
  const overflowRequests = new Counter({
    name: 'jetmesh_telemetry_overflow_requests_total',
    help: "Requests in no Istio series: stage proxy = past a proxy's per-window label-set cap (the report's overflowRequests), telemetry = past this replica's series cap",
    labelNames: ['stage'],
    registers,
  });
  // Zero from the start, so a rate() over them exists before the first problem.
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
    observe: (s) => (sizes = s),
  };
}
