import * as t from 'io-ts';
import { type Either, left, right, isLeft } from 'fp-ts/lib/Either.js';
import { at, decodeWith, fail, str, struct } from './codec/schema.js';
import { dnsLabel, labels, resourceName, stringMap } from './codec/istio-fields.js';
import { type Invalid, invalid } from './invalid.js';
import { DEFAULT_NAMESPACE, ResourceKindNames, type ResourceKind, resourceKindNames, isResourceKind } from './resource-kinds.js';
import { VirtualServiceSpec } from './resources/virtual-service.js';
import { DestinationRuleSpec } from './resources/destination-rule.js';
import { ServiceEntrySpec } from './resources/service-entry.js';
import { WorkloadEntrySpec } from './resources/workload-entry.js';
import { GatewaySpec } from './resources/gateway.js';
import { SidecarSpec } from './resources/sidecar.js';
import { WorkloadGroupSpec } from './resources/workload-group.js';
import { PeerAuthenticationSpec } from './resources/peer-authentication.js';
import { AuthorizationPolicySpec } from './resources/authorization-policy.js';
import { RequestAuthenticationSpec } from './resources/request-authentication.js';

export { DEFAULT_NAMESPACE, ResourceKindNames, type ResourceKind, resourceKindNames, isResourceKind, kindFromName } from './resource-kinds.js';

const kindSpecs = {
  VirtualService: VirtualServiceSpec,
  DestinationRule: DestinationRuleSpec,
  ServiceEntry: ServiceEntrySpec,
  WorkloadEntry: WorkloadEntrySpec,
  WorkloadGroup: WorkloadGroupSpec,
  Gateway: GatewaySpec,
  Sidecar: SidecarSpec,
  PeerAuthentication: PeerAuthenticationSpec,
  AuthorizationPolicy: AuthorizationPolicySpec,
  RequestAuthentication: RequestAuthenticationSpec,
} as const satisfies Record<ResourceKind, t.Mixed>;

/** Every kind Jetmesh accepts: its names (resource-kinds.ts) and the codec of its spec. */
export const ResourceKinds = Object.fromEntries(resourceKindNames.map((k) => [k, { ...ResourceKindNames[k], spec: kindSpecs[k] }])) as {
  readonly [K in ResourceKind]: (typeof ResourceKindNames)[K] & { readonly spec: (typeof kindSpecs)[K] };
};

export const ObjectMeta = struct(
  'ObjectMeta',
  { name: resourceName },
  { namespace: dnsLabel, labels, annotations: stringMap, resourceVersion: str },
  // Fields Kubernetes adds on export; accepted so `kubectl get -o yaml` output applies, then dropped.
  { ignored: ['uid', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'] },
);

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

interface ResourceOf<K extends ResourceKind> {
  readonly apiVersion: string;
  readonly kind: K;
  readonly metadata: ObjectMeta;
  readonly spec: t.TypeOf<(typeof ResourceKinds)[K]['spec']>;
}
export type VirtualService = ResourceOf<'VirtualService'>;
export type DestinationRule = ResourceOf<'DestinationRule'>;
export type ServiceEntry = ResourceOf<'ServiceEntry'>;
export type WorkloadEntry = ResourceOf<'WorkloadEntry'>;
export type WorkloadGroup = ResourceOf<'WorkloadGroup'>;
export type Gateway = ResourceOf<'Gateway'>;
export type Sidecar = ResourceOf<'Sidecar'>;
export type PeerAuthentication = ResourceOf<'PeerAuthentication'>;
export type AuthorizationPolicy = ResourceOf<'AuthorizationPolicy'>;
export type RequestAuthentication = ResourceOf<'RequestAuthentication'>;
export type MeshResource =
  | VirtualService
  | DestinationRule
  | ServiceEntry
  | WorkloadEntry
  | WorkloadGroup
  | Gateway
  | Sidecar
  | PeerAuthentication
  | AuthorizationPolicy
  | RequestAuthentication;

export interface ResourceRef {
  readonly kind: ResourceKind;
  readonly namespace: string;
  readonly name: string;
}

export const refOf = (r: MeshResource): ResourceRef => ({ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name });
export const resourceKey = (ref: ResourceRef): string => `${ref.kind}/${ref.namespace}/${ref.name}`;
export const formatRef = (ref: ResourceRef): string => `${ref.kind} ${ref.namespace}/${ref.name}`;

/** What a document said about itself besides its content; not part of the stored resource. */
export interface DecodedDocument {
  readonly resource: MeshResource;
  /** `metadata.resourceVersion` as written by the user, for lost-update checks. */
  readonly expectedVersion?: string;
}

// `spec` is decoded separately, by kind, so its paths start at `spec`.
const Envelope = struct('Resource', { apiVersion: str, kind: str, metadata: ObjectMeta }, { spec: t.unknown }, { ignored: ['status'] });

/**
 * Decodes one Istio document. `defaultNamespace` fills a missing `metadata.namespace` (like `kubectl -n`).
 * Returns every problem at once, each with its path.
 */
export const decodeResource = (doc: unknown, defaultNamespace: string = DEFAULT_NAMESPACE): Either<Invalid[], DecodedDocument> => {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return left([invalid('', 'a resource must be a YAML/JSON object', 'MALFORMED')]);
  const u = doc as Record<string, unknown>;
  const problems: Invalid[] = [];
  const kindName = typeof u.kind === 'string' ? u.kind : undefined;
  const kind = kindName !== undefined && isResourceKind(kindName) ? kindName : undefined;
  if (u.kind === undefined || u.kind === null) problems.push(invalid('kind', 'required', 'REQUIRED'));
  else if (kindName === undefined) problems.push(invalid('kind', 'must be a string'));
  else if (kind === undefined) problems.push(invalid('kind', `unknown kind "${kindName}": expected one of ${resourceKindNames.join(', ')}`, 'UNKNOWN_KIND'));
  if (kind !== undefined) {
    const info = ResourceKinds[kind];
    const apiVersion = u.apiVersion;
    const accepted = info.versions.map((v) => `${info.group}/${v}`);
    if (apiVersion === undefined) problems.push(invalid('apiVersion', 'required', 'REQUIRED'));
    else if (typeof apiVersion !== 'string' || !accepted.includes(apiVersion)) {
      problems.push(invalid('apiVersion', `${kind} is served as ${accepted.join(', ')}; got "${String(apiVersion)}"`));
    }
  }
  const envelope = decodeWith(Envelope, u);
  if (isLeft(envelope)) problems.push(...envelope.left.filter((e) => !(e.path === 'kind' || e.path === 'apiVersion')));
  // Routes name gateways `<namespace>/<name>`; Istio's webhook keeps dots out of Gateway names.
  else if (kind === 'Gateway' && envelope.right.metadata.name.includes('.')) problems.push(invalid('metadata.name', 'a Gateway name must be a DNS-1123 label (no dots)'));
  if (kind === undefined) return left(problems);
  const spec = decodeWith(specDecoder(kind), u.spec);
  if (isLeft(spec)) problems.push(...spec.left);
  if (problems.length > 0 || isLeft(envelope) || isLeft(spec)) return left(problems);
  const m = envelope.right.metadata;
  const metadata: ObjectMeta = {
    name: m.name,
    namespace: m.namespace ?? defaultNamespace,
    ...(m.labels !== undefined ? { labels: m.labels } : {}),
    ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
  };
  const resource = { apiVersion: envelope.right.apiVersion, kind, metadata, spec: spec.right } as MeshResource;
  return right(m.resourceVersion !== undefined ? { resource, expectedVersion: m.resourceVersion } : { resource });
};

/** Decodes a spec with paths rooted at `spec`. */
const specDecoder = (kind: ResourceKind): t.Decoder<unknown, unknown> => {
  const spec = ResourceKinds[kind].spec as unknown as t.Type<unknown, unknown, unknown>;
  return new t.Type<unknown, unknown, unknown>(
    `${kind}Spec`,
    spec.is,
    (u, c) =>
      u === undefined || u === null
        ? kind === 'AuthorizationPolicy'
          ? spec.validate({}, at(c, 'spec', {})) // Istio: a policy without spec is the empty policy (it allows nothing).
          : fail(u, at(c, 'spec', u), 'required', 'REQUIRED')
        : spec.validate(u, at(c, 'spec', u)),
    t.identity,
  );
};

/** The canonical stored/served form of a resource (what `get -o yaml` prints, minus resourceVersion). */
export const encodeResource = (r: MeshResource): Record<string, unknown> => ({
  apiVersion: r.apiVersion,
  kind: r.kind,
  metadata: { ...r.metadata },
  spec: (ResourceKinds[r.kind].spec as unknown as t.Encoder<unknown, unknown>).encode(r.spec),
});
