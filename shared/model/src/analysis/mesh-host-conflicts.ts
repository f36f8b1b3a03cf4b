import { EVERY_NAMESPACE, exportScopes } from '../export-to.js';
import { fqdn } from '../hostname.js';
import { hostsOverlap } from '../host-overlap.js';
import { refOf, resourceKey, type VirtualService } from '../resource.js';
import { boundToMesh } from '../resources/virtual-service.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';


/**
 * Two VirtualServices bound to the mesh for one host, visible in the same namespace: only one is
 * used, which is rarely what was meant (IST0109). As Istio: hosts are compared per visibility
 * scope, a scoped host also against the overlapping hosts of VirtualServices exported everywhere,
 * and each VirtualService is reported once.
 */
export const analyzeMeshHostConflicts = (view: MeshView): Diagnostic[] => {
  const byScopedHost = new Map<string, { scope: string; host: string; services: VirtualService[] }>();
  for (const vs of view.ofKind('VirtualService')) {
    if (!boundToMesh(vs.spec.gateways)) continue;
    for (const scope of exportScopes(vs.spec.exportTo, vs.metadata.namespace)) {
      for (const h of vs.spec.hosts ?? []) {
        const host = fqdn(h, vs.metadata.namespace);
        const key = `${scope}/${host}`;
        const entry = byScopedHost.get(key);
        if (entry === undefined) byScopedHost.set(key, { scope, host, services: [vs] });
        else entry.services.push(vs);
      }
    }
  }
  const exportedEverywhere = [...byScopedHost.values()].filter((e) => e.scope === EVERY_NAMESPACE);
  const focused = new Set(view.focused('VirtualService'));
  const reported = new Set<string>();
  const out: Diagnostic[] = [];
  for (const [key, { scope, host, services }] of [...byScopedHost].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const conflicting = scope === EVERY_NAMESPACE ? services : [...services, ...exportedEverywhere.filter((e) => hostsOverlap(e.host, host)).flatMap((e) => e.services)];
    if (conflicting.length < 2) continue;
    const names = conflicting.map((vs) => `${vs.metadata.namespace}/${vs.metadata.name}`).sort().join(',');
    for (const vs of conflicting) {
      const id = resourceKey(refOf(vs));
      if (reported.has(id) || !focused.has(vs)) continue;
      reported.add(id);
      out.push(
        diagnostic(
          'ConflictingMeshGatewayVirtualServiceHosts',
          refOf(vs),
          'spec.hosts',
          `The VirtualServices ${names} associated with mesh gateway define the same host ${key} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
        ),
      );
    }
  }
  return out;
};
