import type { Logger } from '@jetmesh/log';
import { ACCESS_LOG_MAX_TEXT, type AccessLogRecord } from '@jetmesh/model';
import { measure, responseFlagsText, type RequestRecord } from './request-record.js';

/** Envoy's access-log fields (its default format's names), plus the workloads and mTLS: the model's AccessLogRecord, the same on stdout and on the bus. */
export type AccessLogLine = AccessLogRecord;

// A longer value (a raised --max-http-header-size) is cut, so every line decodes (AccessLogRecordCodec).
const clip = (v: string): string => (v.length > ACCESS_LOG_MAX_TEXT ? v.slice(0, ACCESS_LOG_MAX_TEXT) : v);
const dash = (v: string | undefined): string => (v === undefined || v === '' ? '-' : clip(v));

/** The line for one record (pure). */
export function accessLogLine(r: RequestRecord): AccessLogLine {
  return {
    start_time: new Date(r.startTime).toISOString(),
    method: dash(r.method),
    path: dash(r.path),
    protocol: r.protocol,
    response_code: r.responseCode,
    ...(r.grpcStatus !== undefined ? { grpc_status: r.grpcStatus } : {}),
    response_flags: responseFlagsText(r.responseFlags),
    bytes_received: Math.trunc(measure(r.requestBytes)),
    bytes_sent: Math.trunc(measure(r.responseBytes)),
    duration: Math.round(measure(r.durationMs) * 1000) / 1000,
    upstream_host: dash(r.upstreamHost),
    upstream_cluster: dash(r.upstreamCluster),
    route_name: dash(r.routeName),
    authority: clip(r.authority),
    ...(r.forwardedFor !== undefined ? { x_forwarded_for: clip(r.forwardedFor) } : {}),
    ...(r.userAgent !== undefined ? { user_agent: clip(r.userAgent) } : {}),
    ...(r.requestId !== undefined ? { request_id: dash(r.requestId) } : {}),
    ...(r.traceId !== undefined ? { trace_id: dash(r.traceId) } : {}),
    reporter: r.reporter,
    source_workload: dash(r.source.workload),
    source_namespace: dash(r.source.namespace),
    destination_workload: dash(r.destination.workload),
    destination_namespace: dash(r.destination.namespace),
    destination_service: dash(r.destination.service),
    mtls: r.mtls,
  };
}

export interface AccessLogOptions {
  /** A child of the proxy's logger (createLogger/childLogger): its lines go to stdout as JSON. */
  readonly log: Logger;
  /** Off: no line at all (`JETMESH_PROXY_ACCESS_LOG=false`). Default on. */
  readonly enabled?: boolean;
  /** Fraction of requests logged, 0..1; default 1 (no sampling). */
  readonly sampleRate?: number;
  readonly random?: () => number;
}

export interface AccessLog {
  readonly enabled: boolean;
  write(record: RequestRecord): void;
}

/** One JSON line per request (message `access`), every request unless sampling is asked for. */
export function createAccessLog(opts: AccessLogOptions): AccessLog {
  const enabled = opts.enabled ?? true;
  const rate = Math.min(1, Math.max(0, opts.sampleRate ?? 1));
  const random = opts.random ?? Math.random;
  return {
    enabled,
    write: (record) => {
      if (!enabled || (rate < 1 && random() >= rate)) return;
      opts.log.info(accessLogLine(record), 'access');
    },
  };
}
