import { refOf, type MeshResource } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/**
 * Two ServiceEntries or two DestinationRules for one host: Jetmesh (like Istio) uses the older
 * and ignores the younger for that host (JM0001). Istio merges some such rules; Jetmesh never
 * does, so the younger resource's settings silently do nothing there.
 */
export const analyzeShadowedResources = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  const focused = new Set<MeshResource>([...view.focused('ServiceEntry'), ...view.focused('DestinationRule')]);
  const report = (claims: readonly MeshResource[], host: string, path: string): void => {
    const [winner, ...shadowed] = claims;
    if (winner === undefined) return;
    for (const r of shadowed) {
      if (!focused.has(r) || r === winner) continue;
      out.push(
        diagnostic(
          'ShadowedResource',
          refOf(r),
          path,
          `Host ${host} is also claimed by the older ${winner.kind} ${winner.metadata.namespace}/${winner.metadata.name}, which wins: this ${r.kind} is ignored for it`,
        ),
      );
    }
  };
  for (const [host, claims] of view.serviceClaims) report(claims, host, 'spec.hosts');
  for (const [host, claims] of view.ruleClaims) report(claims, host, 'spec.host');
  return out;
};
