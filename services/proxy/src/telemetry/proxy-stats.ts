import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, type IstioRequestLabels } from '@jetmesh/model';

/** The proxy's own metrics on its admin port (`/stats`): Istio's per-proxy request metrics plus jetmesh_proxy_*. */
export interface ProxyStats {
  record(labels: IstioRequestLabels, durationMs: number, requestBytes: number, responseBytes: number): void;
  readonly reportsPublished: Counter;
  readonly reportsDropped: Counter;
  readonly ejections: Counter<'cluster'>;
  readonly upstreamSessions: Gauge;
}

const labelNames = [...ISTIO_REQUEST_LABELS];

export function createProxyStats(registry: Registry, upstreamSessions: () => number): ProxyStats {
  const requests = new Counter({ name: 'istio_requests_total', help: 'Requests carried by this proxy (Istio standard metric)', labelNames, registers: [registry] });
  const duration = new Histogram({ name: 'istio_request_duration_milliseconds', help: 'Request duration (Istio standard metric)', labelNames, buckets: [...ISTIO_DURATION_BUCKETS_MS], registers: [registry] });
  const requestBytes = new Histogram({ name: 'istio_request_bytes', help: 'Request body sizes (Istio standard metric)', labelNames, buckets: [...ISTIO_BYTE_BUCKETS], registers: [registry] });
  const responseBytes = new Histogram({ name: 'istio_response_bytes', help: 'Response body sizes (Istio standard metric)', labelNames, buckets: [...ISTIO_BYTE_BUCKETS], registers: [registry] });
  return {
    record: (labels, ms, req, res) => {
      requests.inc(labels);
      duration.observe(labels, ms);
      requestBytes.observe(labels, req);
      responseBytes.observe(labels, res);
    },
    reportsPublished: new Counter({ name: 'jetmesh_proxy_telemetry_reports_published_total', help: 'Telemetry reports published to NATS', registers: [registry] }),
    reportsDropped: new Counter({ name: 'jetmesh_proxy_telemetry_reports_dropped_total', help: 'Telemetry windows dropped while NATS was unreachable (telemetry is sampled, not a log)', registers: [registry] }),
    ejections: new Counter({ name: 'jetmesh_proxy_outlier_ejections_total', help: 'Endpoints ejected by outlier detection', labelNames: ['cluster'], registers: [registry] }),
    upstreamSessions: new Gauge({ name: 'jetmesh_proxy_upstream_sessions', help: 'HTTP/2 mTLS sessions open to peer proxies', registers: [registry], collect() { this.set(upstreamSessions()); } }),
  };
}
