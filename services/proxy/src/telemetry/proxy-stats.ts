import { Counter, Gauge, type Registry } from 'prom-client';
import type { IstioRequestLabels } from '@jetmesh/model';
import type { AccessLogCounters } from './access-log-publisher.js';
import { IstioRequestMetrics } from './istio-request-metrics.js';
import { recordLabels, seriesKey, type RequestRecord } from './request-record.js';

export type SnapshotKind = 'host' | 'workload';

/** The proxy's own metrics on its admin port (`/stats`): Istio's per-proxy request metrics plus jetmesh_proxy_*. */
export interface ProxyStats extends AccessLogCounters {
  record(labels: IstioRequestLabels, durationMs: number, requestBytes: number, responseBytes: number): void;
  /** The same, with the series key (`seriesKey(labels)`) the caller already built. */
  recordSeries(key: string, labels: IstioRequestLabels, durationMs: number, requestBytes: number, responseBytes: number): void;
  /** The same, from the data plane's per-request record. */
  observe(record: RequestRecord): void;
  snapshotApplied(kind: SnapshotKind): void;
  /** A value the proxy would not apply: `invalid` (decoder refused it) or `stale` (not newer than held). */
  snapshotRefused(kind: SnapshotKind, reason: 'invalid' | 'stale'): void;
  upstreamConnected(): void;
  upstreamConnectFailed(): void;
  ejected(cluster: string): void;
  readonly reportsPublished: Counter;
  readonly reportsDropped: Counter;
  readonly ejections: Counter<'cluster'>;
  readonly upstreamSessions: Gauge;
}

export function createProxyStats(registry: Registry, upstreamSessions: () => number = () => 0): ProxyStats {
  // Registered first: /stats lists Istio's metrics before the proxy's own.
  const istio = new IstioRequestMetrics(registry);
  const snapshots = new Counter({ name: 'jetmesh_proxy_snapshots_total', help: 'Snapshot values received, by kind and what the proxy did with them', labelNames: ['kind', 'result'], registers: [registry] });
  const connections = new Counter({ name: 'jetmesh_proxy_upstream_connections_total', help: 'Connections dialled to upstreams, by result', labelNames: ['result'], registers: [registry] });
  const ejections = new Counter({ name: 'jetmesh_proxy_outlier_ejections_total', help: 'Endpoints ejected by outlier detection', labelNames: ['cluster'], registers: [registry] });
  const record = (labels: IstioRequestLabels, ms: number, req: number, res: number): void => istio.record(seriesKey(labels), labels, ms, req, res);
  const accessLogPublished = new Counter({ name: 'jetmesh_proxy_access_log_published_total', help: 'Access log records published on the bus (mesh.accesslog.<ns>.<workload>)', registers: [registry] });
  const accessLogDropped = new Counter({ name: 'jetmesh_proxy_access_log_dropped_total', help: 'Access log records not published on the bus: buffer_full (more than it sends in an interval) or nats_unavailable', labelNames: ['reason'], registers: [registry] });
  return {
    record,
    recordSeries: (key, labels, ms, req, res) => istio.record(key, labels, ms, req, res),
    accessLogPublished: (n) => accessLogPublished.inc(n),
    accessLogDropped: (reason, n) => accessLogDropped.inc({ reason }, n),
    observe: (r) => record(recordLabels(r), r.durationMs, r.requestBytes, r.responseBytes),
    snapshotApplied: (kind) => snapshots.inc({ kind, result: 'applied' }),
    snapshotRefused: (kind, reason) => snapshots.inc({ kind, result: reason }),
    upstreamConnected: () => connections.inc({ result: 'ok' }),
    upstreamConnectFailed: () => connections.inc({ result: 'failed' }),
    ejected: (cluster) => ejections.inc({ cluster }),
    reportsPublished: new Counter({ name: 'jetmesh_proxy_telemetry_reports_published_total', help: 'Telemetry reports published to NATS', registers: [registry] }),
    reportsDropped: new Counter({ name: 'jetmesh_proxy_telemetry_reports_dropped_total', help: 'Telemetry windows dropped while NATS was unreachable (telemetry is sampled, not a log)', registers: [registry] }),
    ejections,
    upstreamSessions: new Gauge({ name: 'jetmesh_proxy_upstream_sessions', help: 'HTTP/2 mTLS sessions open to peer proxies', registers: [registry], collect() { this.set(upstreamSessions()); } }),
  };
}
