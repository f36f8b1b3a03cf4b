// The kinds' names alone, without their io-ts codecs: the CLI resolves `vs` or `virtualservices` on every
// start, and loading every spec codec for that cost it ~0.1 s. resource.ts adds the specs to this table.

export const DEFAULT_NAMESPACE = 'default';

/** Every kind Jetmesh accepts, with the names kubectl users type for it. */
export const ResourceKindNames = {
  VirtualService: { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], plural: 'virtualservices', shortNames: ['vs'] },
  DestinationRule: { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], plural: 'destinationrules', shortNames: ['dr'] },
  ServiceEntry: { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], plural: 'serviceentries', shortNames: ['se'] },
  WorkloadEntry: { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], plural: 'workloadentries', shortNames: ['we'] },
  WorkloadGroup: { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], plural: 'workloadgroups', shortNames: ['wg'] },
  Gateway: { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], plural: 'gateways', shortNames: ['gw'] },
  Sidecar: { group: 'networking.istio.io', versions: ['v1alpha3', 'v1beta1', 'v1'], plural: 'sidecars', shortNames: [] },
  PeerAuthentication: { group: 'security.istio.io', versions: ['v1beta1', 'v1'], plural: 'peerauthentications', shortNames: ['pa'] },
  AuthorizationPolicy: { group: 'security.istio.io', versions: ['v1beta1', 'v1'], plural: 'authorizationpolicies', shortNames: ['ap'] },
  RequestAuthentication: { group: 'security.istio.io', versions: ['v1beta1', 'v1'], plural: 'requestauthentications', shortNames: ['ra'] },
} as const;

export type ResourceKind = keyof typeof ResourceKindNames;
export const resourceKindNames = Object.keys(ResourceKindNames) as ResourceKind[];

export const isResourceKind = (s: string): s is ResourceKind => Object.hasOwn(ResourceKindNames, s);

/** `VirtualService`, `virtualservice`, `virtualservices`, `vs` (and `kind.group`) all name the same kind. */
export const kindFromName = (name: string): ResourceKind | undefined => {
  const n = name.toLowerCase().replace(/\.(networking|security)\.istio\.io$/, '');
  return resourceKindNames.find((k) => {
    const info = ResourceKindNames[k];
    return k.toLowerCase() === n || info.plural === n || (info.shortNames as readonly string[]).includes(n);
  });
};
