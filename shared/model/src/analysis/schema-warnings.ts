import { formatInvalid } from '../invalid.js';
import { refOf, type MeshResource } from '../resource.js';
import { authorizationPolicyWarnings } from '../resources/authorization-policy.js';
import { destinationRuleWarnings } from '../resources/destination-rule.js';
import { gatewayWarnings } from '../resources/gateway.js';
import { peerAuthenticationWarnings } from '../resources/peer-authentication.js';
import { requestAuthenticationWarnings } from '../resources/request-authentication.js';
import type { SchemaWarning } from '../resources/schema-warning.js';
import { serviceEntryWarnings } from '../resources/service-entry.js';
import { sidecarWarnings } from '../resources/sidecar.js';
import { virtualServiceWarnings } from '../resources/virtual-service.js';
import { workloadEntryWarnings } from '../resources/workload-entry.js';
import { diagnostic, type Diagnostic } from './diagnostic.js';
import type { MeshView } from './mesh-view.js';

const specWarnings = (r: MeshResource): SchemaWarning[] => {
  switch (r.kind) {
    case 'VirtualService':
      return virtualServiceWarnings(r.spec);
    case 'DestinationRule':
      return destinationRuleWarnings(r.spec);
    case 'ServiceEntry':
      return serviceEntryWarnings(r.spec);
    case 'WorkloadEntry':
      return workloadEntryWarnings(r.spec);
    case 'Gateway':
      return gatewayWarnings(r.spec);
    case 'Sidecar':
      return sidecarWarnings(r.spec, r.metadata.namespace);
    case 'PeerAuthentication':
      return peerAuthenticationWarnings(r.spec);
    case 'AuthorizationPolicy':
      return authorizationPolicyWarnings(r.spec);
    case 'RequestAuthentication':
      return requestAuthenticationWarnings(r.spec);
    case 'WorkloadGroup':
      // Istio's webhook has no warning for it.
      return [];
  }
};

/** Every warning Istio's validation webhook gives for this valid resource; paths from the resource (`spec.…`). */
export const schemaWarnings = (r: MeshResource): SchemaWarning[] =>
  specWarnings(r).map((w) => ({ path: w.path === '' ? 'spec' : `spec.${w.path}`, reason: w.reason }));

/** The webhook's warnings as istioctl analyze reports them: IST0133 "Schema validation warning", here with the field's path. */
export const analyzeSchemaWarnings = (view: MeshView): Diagnostic[] =>
  (['VirtualService', 'DestinationRule', 'ServiceEntry', 'WorkloadEntry', 'Gateway', 'Sidecar', 'PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'] as const).flatMap((kind) =>
    view.focused(kind).flatMap((r) => schemaWarnings(r).map((w) => diagnostic('SchemaWarning', refOf(r), w.path, `Schema validation warning: ${w.path}: ${w.reason}`))),
  );

/** What validation refuses in a proposed document, as istioctl analyze reports it: IST0106 "Schema validation error", one per problem. */
export const analyzeSchemaErrors = (view: MeshView): Diagnostic[] =>
  view.refusals.flatMap((r) => r.problems.map((p) => diagnostic('SchemaValidationError', r.ref, p.path, `Schema validation error: ${formatInvalid(p)}`)));
