import { DEFAULT_NAMESPACE } from '@jetmesh/model';
import type { XdsNode } from './discovery-messages.js';

/** The node metadata key Istio's bootstraps carry the workload namespace in. */
export const NAMESPACE_METADATA_KEY = 'NAMESPACE';

/**
 * The namespace short names expand in, for this client: its metadata `NAMESPACE`, else the one an
 * Istio sidecar id carries (`sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local`), else `default`.
 */
export const namespaceOfNode = (node: XdsNode | null | undefined): string => {
  const field = node?.metadata?.fields?.[NAMESPACE_METADATA_KEY];
  if (field?.stringValue !== undefined && field.stringValue !== '') return field.stringValue;
  const parts = node?.id.split('~') ?? [];
  const domain = parts.length === 4 ? parts[3] : undefined;
  const ns = domain?.split('.')[0];
  return ns !== undefined && ns !== '' ? ns : DEFAULT_NAMESPACE;
};
