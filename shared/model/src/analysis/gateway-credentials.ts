import { refOf } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/**
 * A gateway's `tls.credentialName` names a Secret in the namespace of the gateway workload (not
 * of the Gateway resource); one that is not there leaves the server without a certificate
 * (IST0101, as Istio's gateway secret analyzer). Checked only when the input lists Secrets:
 * Jetmesh holds none. A selector that picks no workload is workload-selectors' finding.
 */
export const analyzeGatewayCredentials = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const gw of view.focused('Gateway')) {
    const workload = view.selectWorkloads(undefined, gw.spec.selector ?? {})[0];
    if (workload === undefined) continue;
    gw.spec.servers.forEach((server, i) => {
      const name = server.tls?.credentialName;
      if (name === undefined || name === '' || view.hasSecret(workload.namespace, name) !== false) return;
      out.push(diagnostic('ReferencedResourceNotFound', refOf(gw), `spec.servers[${i}].tls.credentialName`, `Referenced credentialName not found: "${name}"`));
    });
  }
  return out;
};
