import { refOf, type MeshResource } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import { ROOT_NAMESPACE, formatSelector, type MeshView } from './mesh-view.js';

/** A resource's workload selector, where it lives in the spec, and whether it may reach other namespaces. */
const selectorOf = (r: MeshResource): { path: string; labels: Readonly<Record<string, string>> } | undefined => {
  switch (r.kind) {
    case 'AuthorizationPolicy':
    case 'PeerAuthentication':
    case 'RequestAuthentication':
      return r.spec.selector !== undefined ? { path: 'spec.selector.matchLabels', labels: r.spec.selector.matchLabels ?? {} } : undefined;
    case 'DestinationRule':
      return r.spec.workloadSelector !== undefined ? { path: 'spec.workloadSelector.matchLabels', labels: r.spec.workloadSelector.matchLabels ?? {} } : undefined;
    case 'Sidecar':
    case 'ServiceEntry':
      return r.spec.workloadSelector !== undefined ? { path: 'spec.workloadSelector.labels', labels: r.spec.workloadSelector.labels ?? {} } : undefined;
    default:
      return undefined;
  }
};

const SELECTING_KINDS = ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'DestinationRule', 'Sidecar', 'ServiceEntry'] as const;

/**
 * A selector that picks no workload does nothing (IST0127). Security policies in the root
 * namespace select across the mesh; a Gateway's selector names the gateway workloads
 * anywhere; Istio reports a Gateway's or a Sidecar's empty pick as a missing reference (IST0101).
 */
export const analyzeWorkloadSelectors = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const kind of SELECTING_KINDS) {
    for (const r of view.focused(kind)) {
      const selector = selectorOf(r);
      if (selector === undefined || Object.keys(selector.labels).length === 0) continue;
      const meshWide = r.metadata.namespace === ROOT_NAMESPACE && kind !== 'ServiceEntry' && kind !== 'DestinationRule';
      if (view.selectWorkloads(meshWide ? undefined : r.metadata.namespace, selector.labels).length === 0) {
        // Istio's sidecar analyzer calls a selector that picks nothing a missing reference.
        if (kind === 'Sidecar') out.push(diagnostic('ReferencedResourceNotFound', refOf(r), selector.path, `Referenced selector not found: "${formatSelector(selector.labels)}"`));
        else out.push(diagnostic('NoMatchingWorkloadsFound', refOf(r), selector.path, `No matching workloads for this resource with the following labels: ${formatSelector(selector.labels)}`));
      }
    }
  }
  // A namespace-wide AuthorizationPolicy (outside the root namespace) in a namespace without workloads.
  for (const ap of view.focused('AuthorizationPolicy')) {
    const selector = selectorOf(ap);
    if (ap.metadata.namespace === ROOT_NAMESPACE || (selector !== undefined && Object.keys(selector.labels).length > 0)) continue;
    if (ap.spec.targetRef !== undefined || (ap.spec.targetRefs ?? []).length > 0) continue;
    if (view.selectWorkloads(ap.metadata.namespace, {}).length === 0) {
      out.push(diagnostic('NoMatchingWorkloadsFound', refOf(ap), 'spec', 'No matching workloads for this resource with the following labels: '));
    }
  }
  for (const gw of view.focused('Gateway')) {
    const labels = gw.spec.selector ?? {};
    if (Object.keys(labels).length > 0 && view.selectWorkloads(undefined, labels).length === 0) {
      out.push(diagnostic('ReferencedResourceNotFound', refOf(gw), 'spec.selector', `Referenced selector not found: "${formatSelector(labels)}"`));
    }
  }
  return out;
};
