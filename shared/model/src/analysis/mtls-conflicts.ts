import { fqdn } from '../hostname.js';
import { refOf, type PeerAuthentication } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import { ROOT_NAMESPACE, type MeshView } from './mesh-view.js';

/**
 * A DestinationRule that sends plain text (tls.mode DISABLE) to a service whose workloads a
 * STRICT PeerAuthentication protects: every request is refused (JM0003). Istio's analyzer for
 * this (IST0113) was retired; the failure is as real as ever.
 */
export const analyzePlaintextToStrictMtls = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  // The namespace-wide policy wins over the mesh-wide one; selector policies are per workload and left out.
  const wide = (ns: string): PeerAuthentication | undefined =>
    view.ofKind('PeerAuthentication').find((p) => p.metadata.namespace === ns && p.spec.selector === undefined);
  for (const dr of view.focused('DestinationRule')) {
    if (dr.spec.trafficPolicy?.tls?.mode !== 'DISABLE') continue;
    const host = fqdn(dr.spec.host, dr.metadata.namespace);
    const service = view.service(host);
    if (service === undefined || view.endpointsOf(service).length === 0) continue;
    const ns = service.entry.metadata.namespace;
    const policy = wide(ns) ?? wide(ROOT_NAMESPACE);
    if (policy?.spec.mtls?.mode !== 'STRICT') continue;
    out.push(
      diagnostic(
        'PlaintextToStrictMtls',
        refOf(dr),
        'spec.trafficPolicy.tls.mode',
        `Traffic to ${host} is sent in plain text (tls.mode DISABLE) but PeerAuthentication ${policy.metadata.namespace}/${policy.metadata.name} requires STRICT mTLS: its workloads will refuse every request`,
      ),
    );
  }
  return out;
};
