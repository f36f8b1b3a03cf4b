import { fqdn } from '../hostname.js';
import { refOf } from '../resource.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import { matchesSelector, wildcardCovers, type MeshView } from './mesh-view.js';

/**
 * A DestinationRule for a host no service declares configures nothing (IST0174); a subset whose
 * labels select none of the service's workloads gives 503 "no healthy upstream" (IST0173).
 */
export const analyzeDestinationRuleTargets = (view: MeshView): Diagnostic[] => {
  const out: Diagnostic[] = [];
  for (const dr of view.focused('DestinationRule')) {
    const ref = refOf(dr);
    const host = fqdn(dr.spec.host, dr.metadata.namespace);
    const known = host.includes('*')
      ? [...view.serviceClaims.keys()].some((h) => h === host || wildcardCovers(host, h))
      : view.service(host) !== undefined;
    if (!known) {
      out.push(diagnostic('DestinationRuleHostNotFound', ref, 'spec.host', `The host ${dr.spec.host} defined in the DestinationRule does not match any services in the mesh.`));
      continue;
    }
    const service = view.service(host);
    if (service === undefined) continue;
    const endpoints = view.endpointsOf(service);
    (dr.spec.subsets ?? []).forEach((subset, i) => {
      if (!endpoints.some((e) => matchesSelector(e.labels, subset.labels ?? {}))) {
        out.push(
          diagnostic(
            'DestinationRuleSubsetNotSelectWorkloads',
            ref,
            `spec.subsets[${i}]`,
            `The Subset ${subset.name} defined in the DestinationRule does not select any workloads. Which may lead to 503 UH (NoHealthyUpstream).`,
          ),
        );
      }
    });
  }
  return out;
};
