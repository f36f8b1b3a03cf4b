import { refOf } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/**
 * A TCP port (or one without protocol, which Istio sniffs and may treat as TCP) carries no host
 * name, so a ServiceEntry without addresses cannot be told apart on it (IST0134).
 */
export const analyzeServiceEntryAddresses = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const se of view.focused('ServiceEntry')) {
    if ((se.spec.addresses ?? []).length > 0) continue;
    const i = (se.spec.ports ?? []).findIndex((p) => p.protocol === undefined || p.protocol === '' || p.protocol.toUpperCase() === 'TCP');
    if (i >= 0) out.push(diagnostic('ServiceEntryAddressesRequired', refOf(se), `spec.ports[${i}]`, 'ServiceEntry addresses are required for this protocol.'));
  }
  return out;
};
