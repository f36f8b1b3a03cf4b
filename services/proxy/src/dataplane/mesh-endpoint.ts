import type { Endpoint } from '@jetmesh/model';

/** Istio's label on endpoints that have a sidecar (auto mTLS sends them mutual TLS). */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
export const TLS_MODE_ISTIO = 'istio';
/** Where an endpoint's proxy accepts mesh traffic (no iptables here to redirect the app's port). */
export const INBOUND_PORT_LABEL = 'networking.jetmesh.io/inbound-port';

export interface MeshEndpoint {
  readonly address: string;
  readonly inboundPort: number;
  /** The namespace of the workload, from the endpoint's origin (`registry ns/name`, `WorkloadEntry ns/name`). */
  readonly namespace?: string;
  readonly serviceAccount?: string;
}

/** The endpoint's proxy, when it has one. */
export function meshEndpointOf(e: Endpoint): MeshEndpoint | undefined {
  if (e.labels[TLS_MODE_LABEL] !== TLS_MODE_ISTIO) return undefined;
  const inboundPort = Number(e.labels[INBOUND_PORT_LABEL]);
  if (!Number.isInteger(inboundPort) || inboundPort < 1 || inboundPort > 65535) return undefined;
  const origin = /^(?:registry|WorkloadEntry) ([^/]+)\//.exec(e.workload);
  return {
    address: e.address,
    inboundPort,
    ...(origin?.[1] !== undefined ? { namespace: origin[1] } : {}),
    ...(e.serviceAccount !== undefined ? { serviceAccount: e.serviceAccount } : {}),
  };
}
