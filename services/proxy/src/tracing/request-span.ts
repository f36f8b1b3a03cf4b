import { TRACE_SPAN_MAX_TEXT, UNKNOWN_LABEL, type SpanAttributeValue, type TraceSpan } from '@jetmesh/model';
import { responseFlagsText, type RequestRecord } from '../telemetry/request-record.js';
import type { OutgoingContext } from './trace-context.js';

/** What the span builder knows of the reporting proxy (Envoy's node and Istio's tags). */
export interface SpanOrigin {
  /** Envoy's node id: `sidecar~<address>~<name>.<namespace>~<namespace>.svc.<domain>` (`router~…` for a gateway). */
  readonly nodeId: string;
  readonly meshId: string;
  readonly canonicalService: string;
  readonly canonicalRevision: string;
  readonly namespace: string;
}

// A request may carry a 16 KiB path; a span keeps its first 4 KiB.
const clip = (v: string): string => (v.length > TRACE_SPAN_MAX_TEXT ? v.slice(0, TRACE_SPAN_MAX_TEXT) : v);
// Whole milliseconds and the fraction apart: epoch ms × 1e6 is past 2^53 and a double would round the nanoseconds away.
const nanosOf = (ms: number): bigint => {
  const whole = Math.trunc(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1_000_000));
};

/** `reviews.default.svc.cluster.local:9080/*`: Envoy's operation name for Istio (the service, else the authority's host). */
export function operationName(r: Pick<RequestRecord, 'authority' | 'destination'>): string {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(r.authority);
  const host = r.destination.service ?? (m?.[1] !== undefined && m[1] !== '' ? m[1] : UNKNOWN_LABEL);
  return `${host}:${m?.[2] ?? '80'}/*`;
}

/**
 * OTel's HTTP span status: a 5xx is an error on both sides, a 4xx only on the client's; no
 * response at all (code 0) is an error too.
 */
export function spanStatus(kind: TraceSpan['kind'], code: number): TraceSpan['status'] {
  if (code === 0 || code >= 500) return 'error';
  if (kind === 'client' && code >= 400) return 'error';
  return 'unset';
}

/**
 * The span of one request this proxy carried on a sampled trace: the server span when it came
 * in (reporter `destination`), the client span when it went out (`source`). Envoy's tags for
 * Istio, values as strings where Envoy writes strings, the status code a number (OTel's).
 */
export function requestSpan(record: RequestRecord, context: OutgoingContext, origin: SpanOrigin): TraceSpan {
  const kind: TraceSpan['kind'] = record.reporter === 'destination' ? 'server' : 'client';
  const start = nanosOf(record.startTime);
  const end = start + nanosOf(record.durationMs);
  const attributes: Record<string, SpanAttributeValue> = {
    'http.method': record.method,
    'http.url': clip(`http://${record.authority}${record.path}`),
    'http.protocol': record.protocol === 'grpc' ? 'HTTP/2' : 'HTTP/1.1',
    'http.status_code': record.responseCode,
    response_flags: responseFlagsText(record.responseFlags),
    request_size: String(record.requestBytes),
    response_size: String(record.responseBytes),
    component: 'proxy',
    node_id: origin.nodeId,
    'istio.mesh_id': origin.meshId,
    'istio.namespace': origin.namespace,
    'istio.canonical_service': origin.canonicalService,
    'istio.canonical_revision': origin.canonicalRevision,
    upstream_cluster: record.upstreamCluster ?? (kind === 'server' ? `inbound|${/:(\d+)$/.exec(record.authority)?.[1] ?? '80'}||` : UNKNOWN_LABEL),
    ...(record.upstreamHost !== undefined ? { 'peer.address': clip(record.upstreamHost) } : {}),
    ...(record.requestId !== undefined ? { 'guid:x-request-id': clip(record.requestId) } : {}),
    ...(record.userAgent !== undefined ? { user_agent: clip(record.userAgent) } : {}),
    ...(record.grpcStatus !== undefined ? { 'grpc.status_code': record.grpcStatus } : {}),
    ...(record.mtls ? { 'istio.mtls': true } : {}),
  };
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(context.parentSpanId !== undefined ? { parentSpanId: context.parentSpanId } : {}),
    ...(context.traceState !== undefined ? { traceState: context.traceState } : {}),
    name: clip(operationName(record)),
    kind,
    startNanos: String(start),
    endNanos: String(end),
    status: spanStatus(kind, record.responseCode),
    attributes,
    source: { workload: record.source.workload ?? UNKNOWN_LABEL, namespace: record.source.namespace ?? UNKNOWN_LABEL },
    destination: { workload: record.destination.workload ?? UNKNOWN_LABEL, namespace: record.destination.namespace ?? UNKNOWN_LABEL },
  };
}
