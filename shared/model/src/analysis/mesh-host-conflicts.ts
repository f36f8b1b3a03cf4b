import { fqdn } from '../hostname.js';
import { refOf, type VirtualService } from '../resource.js';
import { boundToMesh } from '../resources/virtual-service.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/** Two VirtualServices bound to the mesh for one host: only one is used, which is rarely what was meant (IST0109). */
export const analyzeMeshHostConflicts = (view: MeshView): Diagnostic[] => {
  const byHost = new Map<string, VirtualService[]>();
  for (const vs of view.ofKind('VirtualService')) {
    if (!boundToMesh(vs.spec.gateways)) continue;
    for (const h of new Set((vs.spec.hosts ?? []).map((x) => fqdn(x, vs.metadata.namespace)))) byHost.set(h, [...(byHost.get(h) ?? []), vs]);
  }
  const focused = new Set(view.focused('VirtualService'));
  const out: Diagnostic[] = [];
  for (const [host, services] of byHost) {
    if (services.length < 2) continue;
    const names = services.map((vs) => `${vs.metadata.namespace}/${vs.metadata.name}`).sort().join(',');
    for (const vs of services) {
      if (!focused.has(vs)) continue;
      out.push(
        diagnostic(
          'ConflictingMeshGatewayVirtualServiceHosts',
          refOf(vs),
          'spec.hosts',
          `The VirtualServices ${names} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
        ),
      );
    }
  }
  return out;
};
