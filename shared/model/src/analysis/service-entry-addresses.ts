import { refOf } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

/**
 * A TCP port (or one without protocol, which Istio sniffs and may treat as TCP) carries no host
 * name, so a ServiceEntry without addresses cannot be told apart on it (IST0134, once per such
 * port as Istio reports it). Jetmesh allocates no addresses itself; an input may say they were
 * (the entry's `status.addresses`, or a mesh config whose proxies capture DNS and allocate).
 */
export const analyzeServiceEntryAddresses = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const se of view.focused('ServiceEntry')) {
    if ((se.spec.addresses ?? []).length > 0 || view.addressesAllocated(refOf(se))) continue;
    (se.spec.ports ?? []).forEach((p, i) => {
      if (p.protocol === undefined || p.protocol === '' || p.protocol.toUpperCase() === 'TCP') {
        out.push(diagnostic('ServiceEntryAddressesRequired', refOf(se), `spec.ports[${i}]`, 'ServiceEntry addresses are required for this protocol.'));
      }
    });
  }
  return out;
};
