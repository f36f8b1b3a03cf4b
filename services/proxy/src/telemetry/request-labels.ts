import { UNKNOWN_LABEL, type IstioRequestLabels } from '@jetmesh/model';
import type { ServedRequest } from '../dataplane/served-request.js';

/** Who this proxy is, as telemetry labels name it. */
export interface ProxyWorkload {
  readonly name: string;
  readonly namespace: string;
  readonly spiffeId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly domainSuffix: string;
}

const CANONICAL_NAME = 'service.istio.io/canonical-name';
const CANONICAL_REVISION = 'service.istio.io/canonical-revision';

const or = (v: string | undefined): string => (v === undefined || v === '' ? UNKNOWN_LABEL : v);

/** `registry ns/name`, `WorkloadEntry ns/name` → { namespace, name }. */
const workloadOf = (origin: string | undefined): { namespace?: string; name?: string } => {
  const m = /^(?:registry|WorkloadEntry|ServiceEntry) ([^/]+)\/([^#]+)/.exec(origin ?? '');
  return m === null ? {} : { namespace: m[1], name: m[2] };
};

/** A service host's short name and namespace (`reviews.default.svc.cluster.local` → reviews, default). */
function serviceParts(host: string | undefined, domainSuffix: string): { name?: string; namespace?: string } {
  if (host === undefined) return {};
  const suffix = `.svc.${domainSuffix}`;
  if (host.endsWith(suffix)) {
    const [name, namespace] = host.slice(0, -suffix.length).split('.');
    return { ...(name !== undefined ? { name } : {}), ...(namespace !== undefined ? { namespace } : {}) };
  }
  return { name: host };
}

/**
 * Istio's standard label set for one request, from the side that saw it: the client proxy
 * reports as `source` (it knows the destination from the endpoint it picked), the server proxy as
 * `destination` (it knows the caller from its certificate and metadata).
 */
export function istioLabels(r: ServedRequest, self: ProxyWorkload): IstioRequestLabels {
  const selfApp = self.labels.app;
  const selfCanonical = self.labels[CANONICAL_NAME] ?? selfApp ?? self.name;
  const selfVersion = self.labels[CANONICAL_REVISION] ?? self.labels.version;
  const protocol = r.protocol === 'grpc' ? 'grpc' : 'http';
  const common = {
    request_protocol: protocol,
    response_code: String(r.status),
    grpc_response_status: r.grpcStatus !== undefined ? String(r.grpcStatus) : UNKNOWN_LABEL,
    response_flags: r.flags.length === 0 ? '-' : r.flags.join(','),
  };
  if (r.direction === 'inbound') {
    const service = serviceParts(r.service, self.domainSuffix);
    return {
      reporter: 'destination',
      source_workload: or(r.peer?.workload),
      source_workload_namespace: or(r.peer?.namespace),
      source_principal: or(r.peerSpiffeId),
      source_app: or(r.peer?.app),
      source_version: or(r.peer?.version),
      source_canonical_service: or(r.peer?.canonicalService),
      destination_workload: self.name,
      destination_workload_namespace: self.namespace,
      destination_principal: self.spiffeId,
      destination_app: or(selfApp),
      destination_version: or(selfVersion),
      destination_service: or(r.service),
      destination_service_name: or(service.name),
      destination_service_namespace: or(service.namespace),
      destination_canonical_service: selfCanonical,
      ...common,
      connection_security_policy: r.mtls ? 'mutual_tls' : 'none',
    };
  }
  const e = r.destinationEndpoint;
  const workload = workloadOf(e?.workload);
  const service = serviceParts(r.service, self.domainSuffix);
  const trustDomain = /^spiffe:\/\/([^/]+)\//.exec(self.spiffeId)?.[1];
  const destinationPrincipal = r.mtls && e?.serviceAccount !== undefined && workload.namespace !== undefined && trustDomain !== undefined ? `spiffe://${trustDomain}/ns/${workload.namespace}/sa/${e.serviceAccount}` : undefined;
  return {
    reporter: 'source',
    source_workload: self.name,
    source_workload_namespace: self.namespace,
    source_principal: self.spiffeId,
    source_app: or(selfApp),
    source_version: or(selfVersion),
    source_canonical_service: selfCanonical,
    destination_workload: or(workload.name),
    destination_workload_namespace: or(workload.namespace),
    destination_principal: or(destinationPrincipal),
    destination_app: or(e?.labels.app),
    destination_version: or(e?.labels[CANONICAL_REVISION] ?? e?.labels.version),
    destination_service: or(r.service),
    destination_service_name: or(service.name),
    destination_service_namespace: or(service.namespace),
    destination_canonical_service: or(e?.labels[CANONICAL_NAME] ?? e?.labels.app),
    ...common,
    connection_security_policy: UNKNOWN_LABEL,
  };
}
