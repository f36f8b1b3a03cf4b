import { compareDiagnostics, type Diagnostic } from './diagnostic.js';
import { analyzeDestinationRuleTargets } from './destination-rule-targets.js';
import { analyzeGatewayCredentials } from './gateway-credentials.js';
import { analyzeIneffectivePolicies } from './ineffective-policies.js';
import { analyzeMeshHostConflicts } from './mesh-host-conflicts.js';
import { analyzePolicyNamespaces } from './policy-namespaces.js';
import { buildMeshView, type MeshView, type ViewInput } from './mesh-view.js';
import { analyzePlaintextToStrictMtls } from './mtls-conflicts.js';
import { analyzeRouteReferences } from './route-references.js';
import { analyzeSchemaErrors, analyzeSchemaWarnings } from './schema-warnings.js';
import { analyzeServiceEntryAddresses } from './service-entry-addresses.js';
import { analyzeShadowedResources } from './shadowed-resources.js';
import { analyzeUnreachableRules } from './unreachable-rules.js';
import { analyzeWorkloadSelectors } from './workload-selectors.js';

/** Every analyzer; each looks at the whole view and reports on the focused resources only. */
const ANALYZERS: ReadonlyArray<(view: MeshView) => Diagnostic[]> = [
  analyzeSchemaErrors,
  analyzeSchemaWarnings,
  analyzeRouteReferences,
  analyzeMeshHostConflicts,
  analyzeUnreachableRules,
  analyzeWorkloadSelectors,
  analyzePolicyNamespaces,
  analyzeServiceEntryAddresses,
  analyzeIneffectivePolicies,
  analyzeDestinationRuleTargets,
  analyzeGatewayCredentials,
  analyzeShadowedResources,
  analyzePlaintextToStrictMtls,
];

/**
 * `istioctl analyze` for Jetmesh: the live state with the proposed resources laid over it,
 * checked for references that lead nowhere, rules that never match, selectors that select
 * nothing and policies that change nothing. Pure; the same input gives the same list.
 */
export const analyzeMesh = (input: ViewInput): Diagnostic[] => {
  const view = buildMeshView(input);
  return ANALYZERS.flatMap((analyze) => analyze(view)).sort(compareDiagnostics);
};
