export const DEFAULT_DOMAIN_SUFFIX = 'cluster.local';

/**
 * Istio's short-name rule: a host without dots is a service in the namespace of the resource
 * naming it (`reviews` in `default` → `reviews.default.svc.cluster.local`); anything with a dot
 * or a wildcard is taken as written.
 */
export const fqdn = (host: string, namespace: string, domainSuffix: string = DEFAULT_DOMAIN_SUFFIX): string =>
  host.includes('.') || host.includes('*') ? host : `${host}.${namespace}.svc.${domainSuffix}`;

/** Istio's cluster naming: `outbound|PORT|SUBSET|HOST` (empty subset and port 0 when unknown). */
export const outboundClusterName = (host: string, port: number | undefined, subset: string | undefined): string =>
  `outbound|${port ?? ''}|${subset ?? ''}|${host}`;
