import type { Logger } from '@jetmesh/log';
import type { ServedRequest } from '../dataplane/served-request.js';

/** One JSON line per request on stdout, with Envoy's access-log fields. */
export function writeAccessLog(log: Logger, r: ServedRequest, startedAt: Date): void {
  log.info(
    {
      start_time: startedAt.toISOString(),
      direction: r.direction,
      method: r.method,
      path: r.path,
      protocol: r.protocol,
      response_code: r.status,
      ...(r.grpcStatus !== undefined ? { grpc_status: r.grpcStatus } : {}),
      response_flags: r.flags.length === 0 ? '-' : r.flags.join(','),
      bytes_received: r.requestBytes,
      bytes_sent: r.responseBytes,
      duration: Math.round(r.durationMs * 1000) / 1000,
      authority: r.authority,
      upstream_host: r.upstream ?? '-',
      upstream_cluster: r.cluster ?? '-',
      route_name: r.routeName ?? '-',
      mtls: r.mtls,
      ...(r.peerSpiffeId !== undefined ? { downstream_peer: r.peerSpiffeId } : {}),
      ...(r.requestId !== undefined ? { request_id: r.requestId } : {}),
      ...(r.userAgent !== undefined ? { user_agent: r.userAgent } : {}),
    },
    'access',
  );
}
