import { formatRef, fqdn, refOf, resourceKey, type MeshResource, type MeshState } from '@jetmesh/model';

interface RouteTarget {
  readonly path: string;
  readonly host: string;
  readonly subset?: string;
}

/** Every destination a VirtualService routes (or mirrors) to, with its path. */
const routeTargets = (vs: Extract<MeshResource, { kind: 'VirtualService' }>): RouteTarget[] => {
  const targets: RouteTarget[] = [];
  const add = (path: string, d: { host: string; subset?: string }): void => {
    targets.push({ path, host: d.host, ...(d.subset === undefined ? {} : { subset: d.subset }) });
  };
  vs.spec.http?.forEach((r, i) => {
    r.route?.forEach((d, j) => add(`spec.http[${i}].route[${j}].destination`, d.destination));
    if (r.mirror !== undefined) add(`spec.http[${i}].mirror`, r.mirror);
  });
  vs.spec.tcp?.forEach((r, i) => r.route?.forEach((d, j) => add(`spec.tcp[${i}].route[${j}].destination`, d.destination)));
  vs.spec.tls?.forEach((r, i) => r.route?.forEach((d, j) => add(`spec.tls[${i}].route[${j}].destination`, d.destination)));
  return targets;
};

const wildcardCovers = (pattern: string, host: string): boolean => pattern.startsWith('*.') && host.endsWith(pattern.slice(1));

/**
 * Accepted-but-suspicious routing in an apply, as Istio's analyzers report it: a destination no
 * ServiceEntry declares, or a subset no DestinationRule for that host defines. `state` is the
 * state the apply is planned against; the applied resources count as already there.
 */
export const routeWarnings = (state: MeshState, applied: readonly MeshResource[]): string[] => {
  const resources = new Map<string, MeshResource>([...state.resources].map(([k, s]) => [k, s.resource]));
  for (const r of applied) resources.set(resourceKey(refOf(r)), r);
  const hosts = new Set<string>();
  const subsets = new Map<string, Set<string>>();
  for (const r of resources.values()) {
    if (r.kind === 'ServiceEntry') for (const h of r.spec.hosts) hosts.add(fqdn(h, r.metadata.namespace));
    if (r.kind === 'DestinationRule') {
      const host = fqdn(r.spec.host, r.metadata.namespace);
      const names = subsets.get(host) ?? new Set<string>();
      for (const s of r.spec.subsets ?? []) names.add(s.name);
      subsets.set(host, names);
    }
  }
  const warnings: string[] = [];
  for (const r of applied) {
    if (r.kind !== 'VirtualService') continue;
    for (const target of routeTargets(r)) {
      const host = fqdn(target.host, r.metadata.namespace);
      if (!hosts.has(host) && ![...hosts].some((h) => wildcardCovers(h, host))) {
        warnings.push(`${formatRef(refOf(r))}: ${target.path}.host: "${target.host}" is not declared by any ServiceEntry`);
      }
      if (target.subset !== undefined && !(subsets.get(host)?.has(target.subset) ?? false)) {
        warnings.push(`${formatRef(refOf(r))}: ${target.path}.subset: "${target.subset}" is not defined by any DestinationRule for "${target.host}"`);
      }
    }
  }
  return warnings;
};
