/** Envoy's v3 type URLs, named once: the four resource types pilot serves and the extensions it embeds. */

const prefix = 'type.googleapis.com/';

export const TypeUrls = {
  listener: `${prefix}envoy.config.listener.v3.Listener`,
  routeConfiguration: `${prefix}envoy.config.route.v3.RouteConfiguration`,
  cluster: `${prefix}envoy.config.cluster.v3.Cluster`,
  clusterLoadAssignment: `${prefix}envoy.config.endpoint.v3.ClusterLoadAssignment`,
} as const;

export type ResourceTypeUrl = (typeof TypeUrls)[keyof typeof TypeUrls];

export const ExtensionTypeUrls = {
  httpConnectionManager: `${prefix}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  router: `${prefix}envoy.extensions.filters.http.router.v3.Router`,
  fault: `${prefix}envoy.extensions.filters.http.fault.v3.HTTPFault`,
  roundRobin: `${prefix}envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin`,
  leastRequest: `${prefix}envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest`,
} as const;

/** Envoy's filter names, as Istio writes them. */
export const HttpFilterNames = {
  fault: 'envoy.filters.http.fault',
  router: 'envoy.filters.http.router',
} as const;

/** The short names users and istioctl know, in the order a client subscribes. */
export const ShortTypeNames = ['LDS', 'RDS', 'CDS', 'EDS'] as const;
export type ShortTypeName = (typeof ShortTypeNames)[number];

export const typeUrlOfShortName: Readonly<Record<ShortTypeName, ResourceTypeUrl>> = {
  LDS: TypeUrls.listener,
  RDS: TypeUrls.routeConfiguration,
  CDS: TypeUrls.cluster,
  EDS: TypeUrls.clusterLoadAssignment,
};

const shortNames = new Map<string, ShortTypeName>(ShortTypeNames.map((s) => [typeUrlOfShortName[s], s]));

/** LDS/RDS/CDS/EDS for a type URL this server serves, undefined for anything else. */
export const shortNameOf = (typeUrl: string): ShortTypeName | undefined => shortNames.get(typeUrl);

/** xDS: in state-of-the-world, these types are answered with every subscribed resource; absence means deletion. */
export const isFullStateType = (typeUrl: ResourceTypeUrl): boolean => typeUrl === TypeUrls.listener || typeUrl === TypeUrls.cluster;
