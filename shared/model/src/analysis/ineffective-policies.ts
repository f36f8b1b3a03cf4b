import { refOf } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import { ROOT_NAMESPACE, type MeshView } from './mesh-view.js';

/**
 * Policies that are valid but change nothing (IST0167), and namespaces where several
 * Sidecars without selector compete for the same workloads (IST0111).
 */
export const analyzeIneffectivePolicies = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  const noImpact = (r: Parameters<typeof refOf>[0], path: string, why: string): void => {
    out.push(diagnostic('IneffectivePolicy', refOf(r), path, `The policy has no impact: ${why}.`));
  };
  for (const pa of view.focused('PeerAuthentication')) {
    const mode = pa.spec.mtls?.mode ?? 'UNSET';
    if (mode === 'UNSET' && Object.keys(pa.spec.portLevelMtls ?? {}).length === 0) {
      noImpact(pa, 'spec.mtls', 'its mode is UNSET (inherit from the parent policy) and it sets no port-level mode');
    }
  }
  for (const ra of view.focused('RequestAuthentication')) {
    if ((ra.spec.jwtRules ?? []).length === 0) noImpact(ra, 'spec', 'it has no jwtRules, so it accepts no token and rejects none');
  }
  for (const sc of view.focused('Sidecar')) {
    if (sc.metadata.namespace === ROOT_NAMESPACE && sc.spec.workloadSelector !== undefined) {
      noImpact(sc, 'spec.workloadSelector', `a Sidecar with a workloadSelector in the root namespace ${ROOT_NAMESPACE} is ignored (the root namespace may only hold the mesh-wide default)`);
    }
  }
  const unselected = new Map<string, string[]>();
  for (const sc of view.ofKind('Sidecar')) {
    if (sc.spec.workloadSelector === undefined) unselected.set(sc.metadata.namespace, [...(unselected.get(sc.metadata.namespace) ?? []), sc.metadata.name]);
  }
  for (const sc of view.focused('Sidecar')) {
    const names = unselected.get(sc.metadata.namespace) ?? [];
    if (sc.spec.workloadSelector === undefined && names.length > 1) {
      out.push(
        diagnostic(
          'MultipleSidecarsWithoutWorkloadSelectors',
          refOf(sc),
          '',
          `The Sidecars [${[...names].sort().join(' ')}] in namespace "${sc.metadata.namespace}" have no workload selector, which can lead to undefined behavior.`,
        ),
      );
    }
  }
  return out;
};
