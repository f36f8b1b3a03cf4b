import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { HostXds } from './translation.js';

/** A translation that contradicts itself: a bug, so no client may see it. */
export interface XdsInconsistency {
  readonly code: 'INCONSISTENT_XDS';
  readonly host: string;
  /** Where, e.g. `routeConfigurations[0].virtual_hosts[0].routes[1].route.cluster`. */
  readonly path: string;
  readonly reason: string;
}

const duplicates = (names: readonly string[]): string[] => names.filter((n, i) => names.indexOf(n) !== i);

/**
 * go-control-plane's consistency rule for one host's resources: every listener names a route
 * configuration that exists, every route names clusters that exist (with weights adding up to
 * more than 0), every EDS cluster has its load assignment, and no name is used twice.
 */
export function checkHostXds(x: HostXds): Either<XdsInconsistency[], HostXds> {
  const problems: XdsInconsistency[] = [];
  const problem = (path: string, reason: string): void => {
    problems.push({ code: 'INCONSISTENT_XDS', host: x.host, path, reason });
  };
  const routeNames = new Set(x.routeConfigurations.map((r) => r.name));
  const clusterNames = new Set(x.clusters.map((c) => c.name));
  const assignmentNames = new Set(x.loadAssignments.map((a) => a.cluster_name));
  for (const [what, names] of [
    ['listeners', x.listeners.map((l) => l.name)],
    ['routeConfigurations', x.routeConfigurations.map((r) => r.name)],
    ['clusters', x.clusters.map((c) => c.name)],
    ['loadAssignments', x.loadAssignments.map((a) => a.cluster_name)],
  ] as const) {
    for (const d of new Set(duplicates(names))) problem(what, `"${d}" appears more than once`);
  }
  x.listeners.forEach((l, i) => {
    const rds = l.api_listener.api_listener.rds.route_config_name;
    if (!routeNames.has(rds)) problem(`listeners[${i}].api_listener.rds.route_config_name`, `names route configuration "${rds}", which does not exist`);
  });
  x.routeConfigurations.forEach((rc, i) =>
    rc.virtual_hosts.forEach((vh, j) => {
      const at = `routeConfigurations[${i}].virtual_hosts[${j}]`;
      if (vh.domains.length === 0) problem(`${at}.domains`, 'must not be empty');
      vh.routes.forEach((route, k) => {
        const action = route.route;
        if (action === undefined) return;
        const path = `${at}.routes[${k}].route`;
        const named = action.cluster !== undefined ? [action.cluster] : (action.weighted_clusters?.clusters ?? []).map((c) => c.name);
        if (named.length === 0) problem(path, 'names no cluster');
        for (const c of named) if (!clusterNames.has(c)) problem(path, `names cluster "${c}", which does not exist`);
        const weights = action.weighted_clusters?.clusters.reduce((sum, c) => sum + c.weight.value, 0);
        if (weights !== undefined && !(weights > 0)) problem(`${path}.weighted_clusters`, 'weights must add up to more than 0');
      });
    }),
  );
  x.clusters.forEach((c, i) => {
    if (c.type !== 'EDS') return;
    const service = c.eds_cluster_config?.service_name;
    if (service === undefined || !assignmentNames.has(service)) problem(`clusters[${i}].eds_cluster_config`, `EDS cluster "${c.name}" has no load assignment`);
  });
  return problems.length === 0 ? right(x) : left(problems);
}

export const formatXdsInconsistency = (p: XdsInconsistency): string => `${p.host} ${p.path}: ${p.reason}`;
