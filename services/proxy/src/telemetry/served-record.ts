import type { Endpoint } from '@jetmesh/model';
import type { RequestDestination, RequestPeer, RequestRecord } from './request-record.js';
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
 * The telemetry record of one request, from the side that saw it: the client proxy reports as
 * `source` (it knows the destination from the endpoint it picked), the server proxy as
 * `destination` (it knows the caller from its certificate and metadata).
 */
type Me = Required<Pick<RequestPeer, 'workload' | 'namespace' | 'principal' | 'canonicalService'>> & Pick<RequestPeer, 'app' | 'version'>;
type ServiceFields = Pick<RequestDestination, 'service' | 'serviceName' | 'serviceNamespace'>;

const meOf = (self: ProxyWorkload): Me => {
  const selfVersion = self.labels[CANONICAL_REVISION] ?? self.labels.version;
  return {
    workload: self.name,
    namespace: self.namespace,
    principal: self.spiffeId,
    ...(self.labels.app !== undefined ? { app: self.labels.app } : {}),
    ...(selfVersion !== undefined ? { version: selfVersion } : {}),
    canonicalService: self.labels[CANONICAL_NAME] ?? self.labels.app ?? self.name,
  };
};

const serviceFieldsOf = (host: string | undefined, domainSuffix: string): ServiceFields => {
  const service = serviceParts(host, domainSuffix);
  return {
    ...(host !== undefined ? { service: host } : {}),
    ...(service.name !== undefined ? { serviceName: service.name } : {}),
    ...(service.namespace !== undefined ? { serviceNamespace: service.namespace } : {}),
  };
};

/** The outbound destination as the picked endpoint names it. */
const endpointDestinationOf = (e: Endpoint | undefined, mtls: boolean, selfSpiffeId: string, serviceFields: ServiceFields): RequestDestination => {
  const workload = workloadOf(e?.workload);
  const trustDomain = /^spiffe:\/\/([^/]+)\//.exec(selfSpiffeId)?.[1];
  const principal = mtls && e?.serviceAccount !== undefined && workload.namespace !== undefined && trustDomain !== undefined ? `spiffe://${trustDomain}/ns/${workload.namespace}/sa/${e.serviceAccount}` : undefined;
  const version = e?.labels[CANONICAL_REVISION] ?? e?.labels.version;
  const canonical = e?.labels[CANONICAL_NAME] ?? e?.labels.app;
  return {
    ...(workload.name !== undefined ? { workload: workload.name } : {}),
    ...(workload.namespace !== undefined ? { namespace: workload.namespace } : {}),
    ...(principal !== undefined ? { principal } : {}),
    ...(e?.labels.app !== undefined ? { app: e.labels.app } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(canonical !== undefined ? { canonicalService: canonical } : {}),
    ...serviceFields,
  };
};

/*
 * The parts of a record that repeat from request to request (who this proxy is, a service's
 * name parts, what a picked endpoint names) are built once and shared by the records: each is a
 * pure function of what it is cached under, and records are read-only.
 */
let lastSelf: { readonly self: ProxyWorkload; readonly me: Me } | undefined;
const cachedMe = (self: ProxyWorkload): Me => {
  const l = lastSelf;
  if (l !== undefined && l.self.name === self.name && l.self.namespace === self.namespace && l.self.spiffeId === self.spiffeId && l.self.labels === self.labels) return l.me;
  const me = meOf(self);
  lastSelf = { self: { ...self }, me };
  return me;
};
const MAX_CACHED_SERVICES = 1024;
const serviceFieldsCache = new Map<string, ServiceFields>();
const noService: ServiceFields = {};
const cachedServiceFields = (host: string | undefined, domainSuffix: string): ServiceFields => {
  if (host === undefined) return noService;
  const key = `${domainSuffix} ${host}`;
  let f = serviceFieldsCache.get(key);
  if (f === undefined) {
    if (serviceFieldsCache.size >= MAX_CACHED_SERVICES) serviceFieldsCache.clear();
    f = serviceFieldsOf(host, domainSuffix);
    serviceFieldsCache.set(key, f);
  }
  return f;
};
interface EndpointDestination {
  readonly mtls: boolean;
  readonly selfSpiffeId: string;
  readonly serviceFields: ServiceFields;
  readonly destination: RequestDestination;
}
const endpointDestinations = new WeakMap<Endpoint, EndpointDestination>();
const cachedEndpointDestination = (e: Endpoint | undefined, mtls: boolean, selfSpiffeId: string, serviceFields: ServiceFields): RequestDestination => {
  if (e === undefined) return endpointDestinationOf(e, mtls, selfSpiffeId, serviceFields);
  const c = endpointDestinations.get(e);
  if (c !== undefined && c.mtls === mtls && c.selfSpiffeId === selfSpiffeId && c.serviceFields === serviceFields) return c.destination;
  const destination = endpointDestinationOf(e, mtls, selfSpiffeId, serviceFields);
  endpointDestinations.set(e, { mtls, selfSpiffeId, serviceFields, destination });
  return destination;
};

/**
 * The telemetry record of one request, from the side that saw it: the client proxy reports as
 * `source` (it knows the destination from the endpoint it picked), the server proxy as
 * `destination` (it knows the caller from its certificate and metadata).
 */
export function requestRecordOf(r: ServedRequest, self: ProxyWorkload, nowMs: number): RequestRecord {
  const me = cachedMe(self);
  const serviceFields = cachedServiceFields(r.service, self.domainSuffix);
  const common = {
    protocol: r.protocol === 'grpc' ? ('grpc' as const) : ('http' as const),
    method: r.method,
    path: r.path,
    authority: r.authority,
    responseCode: r.status,
    ...(r.grpcStatus !== undefined ? { grpcStatus: r.grpcStatus } : {}),
    responseFlags: r.flags,
    mtls: r.mtls,
    durationMs: r.durationMs,
    requestBytes: r.requestBytes,
    responseBytes: r.responseBytes,
    startTime: nowMs - r.durationMs,
    ...(r.upstream !== undefined ? { upstreamHost: r.upstream } : {}),
    ...(r.cluster !== undefined ? { upstreamCluster: r.cluster } : {}),
    ...(r.routeName !== undefined ? { routeName: r.routeName } : {}),
    ...(r.requestId !== undefined ? { requestId: r.requestId } : {}),
    ...(r.userAgent !== undefined ? { userAgent: r.userAgent } : {}),
    // The access log's trace_id: the trace this hop's span belongs to, sampled or not (empty when untraced).
    ...(r.trace !== undefined ? { traceId: r.trace.traceId } : {}),
  };
  if (r.direction === 'inbound') {
    const peer = r.peer;
    return {
      reporter: 'destination',
      source: {
        ...(peer?.workload !== undefined ? { workload: peer.workload } : {}),
        ...(peer?.namespace !== undefined ? { namespace: peer.namespace } : {}),
        ...(r.peerSpiffeId !== undefined ? { principal: r.peerSpiffeId } : {}),
        ...(peer?.app !== undefined ? { app: peer.app } : {}),
        ...(peer?.version !== undefined ? { version: peer.version } : {}),
        ...(peer?.canonicalService !== undefined ? { canonicalService: peer.canonicalService } : {}),
      },
      destination: { ...me, ...serviceFields },
      ...common,
    };
  }
  return {
    reporter: 'source',
    source: me,
    destination: cachedEndpointDestination(r.destinationEndpoint, r.mtls, self.spiffeId, serviceFields),
    ...common,
  };
}
