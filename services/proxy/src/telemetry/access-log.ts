import type { Logger } from '@jetmesh/log';
import { responseFlagsText, type RequestRecord } from './request-record.js';

/** Envoy's access-log fields (its default format's names), plus the workloads and mTLS. */
export interface AccessLogLine {
  readonly start_time: string;
  readonly method: string;
  readonly path: string;
  readonly protocol: string;
  readonly response_code: number;
  readonly grpc_status?: number;
  readonly response_flags: string;
  readonly bytes_received: number;
  readonly bytes_sent: number;
  /** Milliseconds. */
  readonly duration: number;
  readonly upstream_host: string;
  readonly upstream_cluster: string;
  readonly route_name: string;
  readonly authority: string;
  readonly x_forwarded_for?: string;
  readonly user_agent?: string;
  readonly request_id?: string;
  readonly trace_id?: string;
  readonly reporter: 'source' | 'destination';
  readonly source_workload: string;
  readonly source_namespace: string;
  readonly destination_workload: string;
  readonly destination_namespace: string;
  readonly destination_service: string;
  readonly mtls: boolean;
}

const dash = (v: string | undefined): string => (v === undefined || v === '' ? '-' : v);

/** The line for one record (pure). */
export function accessLogLine(r: RequestRecord): AccessLogLine {
  return {
    start_time: new Date(r.startTime).toISOString(),
    method: r.method,
    path: r.path,
    protocol: r.protocol,
    response_code: r.responseCode,
    ...(r.grpcStatus !== undefined ? { grpc_status: r.grpcStatus } : {}),
    response_flags: responseFlagsText(r.responseFlags),
    bytes_received: r.requestBytes,
    bytes_sent: r.responseBytes,
    duration: Math.round(r.durationMs * 1000) / 1000,
    upstream_host: dash(r.upstreamHost),
    upstream_cluster: dash(r.upstreamCluster),
    route_name: dash(r.routeName),
    authority: r.authority,
    ...(r.forwardedFor !== undefined ? { x_forwarded_for: r.forwardedFor } : {}),
    ...(r.userAgent !== undefined ? { user_agent: r.userAgent } : {}),
    ...(r.requestId !== undefined ? { request_id: r.requestId } : {}),
    ...(r.traceId !== undefined ? { trace_id: r.traceId } : {}),
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
