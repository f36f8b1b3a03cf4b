import { ISTIO_REQUEST_LABELS, UNKNOWN_LABEL, type IstioRequestLabels } from '@jetmesh/model';

/** One side of a request as telemetry names it; a field the proxy does not know is left out. */
export interface RequestPeer {
  readonly workload?: string;
  readonly namespace?: string;
  /** SPIFFE ID (`spiffe://<td>/ns/<ns>/sa/<sa>`), known only over mTLS. */
  readonly principal?: string;
  readonly app?: string;
  readonly version?: string;
  readonly canonicalService?: string;
}

export interface RequestDestination extends RequestPeer {
  /** The destination service host, fqdn (`reviews.default.svc.cluster.local`). */
  readonly service?: string;
  readonly serviceName?: string;
  readonly serviceNamespace?: string;
}

/**
 * What the data plane hands telemetry after each request it carried: the client proxy fills it
 * as `source` (it knows the destination from the endpoint it picked), the server proxy as
 * `destination` (it knows the caller from its certificate and peer metadata).
 */
export interface RequestRecord {
  readonly reporter: 'source' | 'destination';
  readonly source: RequestPeer;
  readonly destination: RequestDestination;
  readonly protocol: 'http' | 'grpc';
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly responseCode: number;
  readonly grpcStatus?: number;
  /** Envoy's response flags (`NR`, `UH`, `UF`, `URX`, `UT`, `UO`, `DI`, `FI`, `UAEX` …); empty or `-` when none. */
  readonly responseFlags: string | readonly string[];
  readonly mtls: boolean;
  readonly durationMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** When the request arrived, ms since the epoch. */
  readonly startTime: number;
  /** `address:port` of the upstream the proxy sent it to. */
  readonly upstreamHost?: string;
  readonly traceId?: string;
  // Access-log only: Envoy's fields that are not metric labels.
  readonly upstreamCluster?: string;
  readonly routeName?: string;
  readonly requestId?: string;
  readonly userAgent?: string;
  readonly forwardedFor?: string;
}

const or = (v: string | undefined): string => (v === undefined || v === '' ? UNKNOWN_LABEL : v);

/** `-` when there is none, else Envoy's comma-separated list. */
export const responseFlagsText = (flags: RequestRecord['responseFlags']): string => {
  const list = typeof flags === 'string' ? flags.split(',').filter((f) => f !== '' && f !== '-') : flags.filter((f) => f !== '' && f !== '-');
  return list.length === 0 ? '-' : list.join(',');
};

/** A count that a histogram may take: finite and >= 0 (a clock step or a missing size must not poison a window). */
export const measure = (v: number): number => (Number.isFinite(v) && v > 0 ? v : 0);

/**
 * Istio's standard label set for one record, missing values `unknown`. As in Istio,
 * `connection_security_policy` is known only to the destination reporter (it saw the TLS
 * handshake); the source reports it `unknown`.
 */
export function recordLabels(r: RequestRecord): IstioRequestLabels {
  const s = r.source;
  const d = r.destination;
  return {
    reporter: r.reporter,
    source_workload: or(s.workload),
    source_workload_namespace: or(s.namespace),
    source_principal: or(s.principal),
    source_app: or(s.app),
    source_version: or(s.version),
    source_canonical_service: or(s.canonicalService ?? s.app ?? s.workload),
    destination_workload: or(d.workload),
    destination_workload_namespace: or(d.namespace),
    destination_principal: or(d.principal),
    destination_app: or(d.app),
    destination_version: or(d.version),
    destination_service: or(d.service),
    destination_service_name: or(d.serviceName),
    destination_service_namespace: or(d.serviceNamespace),
    destination_canonical_service: or(d.canonicalService ?? d.app ?? d.workload),
    request_protocol: r.protocol,
    response_code: String(r.responseCode),
    grpc_response_status: r.grpcStatus !== undefined ? String(r.grpcStatus) : UNKNOWN_LABEL,
    response_flags: responseFlagsText(r.responseFlags),
    connection_security_policy: r.reporter === 'destination' ? (r.mtls ? 'mutual_tls' : 'none') : UNKNOWN_LABEL,
  };
}

/** A string naming a label set one to one (the labels in Istio's order), built once per request. */
export const seriesKey = (labels: IstioRequestLabels): string => ISTIO_REQUEST_LABELS.map((l) => labels[l]).join('\u0000');
