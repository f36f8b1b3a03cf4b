import { refOf, type Sidecar } from '../resource.js';
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
  // Istio reads a selector without labels as none: the Sidecar is namespace-wide.
  const namespaceWide = (sc: Sidecar): boolean => Object.keys(sc.spec.workloadSelector?.labels ?? {}).length === 0;
  const ambient = new Set(view.ambientNamespaces);
  for (const sc of view.focused('Sidecar')) {
    if (sc.metadata.namespace === ROOT_NAMESPACE && sc.spec.workloadSelector !== undefined) {
      noImpact(sc, 'spec.workloadSelector', `a Sidecar with a workloadSelector in the root namespace ${ROOT_NAMESPACE} is ignored (the root namespace may only hold the mesh-wide default)`);
    } else if (namespaceWide(sc) && ambient.has(sc.metadata.namespace)) {
      noImpact(sc, '', 'namespace is in ambient mode, the policy has no impact');
    } else if (!namespaceWide(sc) && view.selectWorkloads(sc.metadata.namespace, sc.spec.workloadSelector?.labels ?? {}).some((w) => w.ambient === true)) {
      noImpact(sc, 'spec.workloadSelector', 'selected workload is in ambient mode, the policy has no impact');
    }
  }
  const unselected = new Map<string, string[]>();
  for (const sc of view.ofKind('Sidecar')) {
    if (namespaceWide(sc)) unselected.set(sc.metadata.namespace, [...(unselected.get(sc.metadata.namespace) ?? []), sc.metadata.name]);
  }
  for (const sc of view.focused('Sidecar')) {
    const names = unselected.get(sc.metadata.namespace) ?? [];
    // In an ambient namespace the Sidecars are ineffective (above), not in conflict.
    if (namespaceWide(sc) && names.length > 1 && !ambient.has(sc.metadata.namespace)) {
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
