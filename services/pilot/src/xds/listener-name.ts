import { DEFAULT_DOMAIN_SUFFIX } from '@jetmesh/model';

/** Istio's listener naming: `host:port`. */
export const listenerName = (host: string, port: number): string => `${host}:${port}`;

/** The host and port of a `host:port` name, undefined when it has no numeric port. */
export const parseListenerName = (name: string): { readonly host: string; readonly port: number } | undefined => {
  const colon = name.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = Number(name.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port <= 65535 ? { host: name.slice(0, colon), port } : undefined;
};

/**
 * The canonical listener names a client may mean by `name`, most specific first. A client dials
 * what its users write (`reviews:9080`, `reviews.default:9080`, …); like Istio, short forms expand
 * in the client's own namespace.
 */
export const listenerCandidates = (name: string, namespace: string, suffix: string = DEFAULT_DOMAIN_SUFFIX): string[] => {
  const parsed = parseListenerName(name);
  if (parsed === undefined) return [];
  const { host, port } = parsed;
  const dots = host.split('.').length - 1;
  const hosts =
    dots === 0
      ? [`${host}.${namespace}.svc.${suffix}`]
      : host.endsWith('.svc')
        ? [`${host}.${suffix}`, host]
        : dots === 1
          ? [`${host}.svc.${suffix}`, host]
          : [host];
  return hosts.map((h) => listenerName(h, port));
};

/**
 * Every authority a client may use for `host:port`, as Istio lists a service's virtual host
 * domains: a cluster-local service also answers to `name`, `name.ns` and `name.ns.svc`, each with
 * and without the port. gRPC matches the authority exactly, so a missing form fails every call.
 */
export const virtualHostDomains = (host: string, port: number, suffix: string = DEFAULT_DOMAIN_SUFFIX): string[] => {
  const local = `.svc.${suffix}`;
  const names = [host];
  if (host.endsWith(local)) {
    const [name, namespace] = host.slice(0, -local.length).split('.');
    if (name !== undefined && namespace !== undefined && host === `${name}.${namespace}${local}`) {
      names.push(`${name}.${namespace}.svc`, `${name}.${namespace}`, name);
    }
  }
  return names.flatMap((n) => [n, `${n}:${port}`]);
};
