import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { outboundClusterName } from './hostname.js';
import type { RouteRule, RoutingSnapshot } from './routing-snapshot.js';
import type { WorkloadSnapshot } from './workload-snapshot.js';
import { ROOT_NAMESPACE } from './analysis/mesh-view.js';

/*
 * go-control-plane's Snapshot.Consistent, for our snapshot shapes. Pilot checks before it
 * publishes; a proxy checks again before it applies (snapshot-codec.ts), with the same rules.
 */

/** A snapshot that contradicts itself: derivation has a bug (or the value was tampered with), so no proxy may use it. */
export interface SnapshotInconsistency {
  readonly code: 'INCONSISTENT_SNAPSHOT';
  /** The key it is stored under: a host, or `namespace/name` of a workload. */
  readonly host: string;
  /** Where in the snapshot, e.g. `routes[1].destinations[0].cluster`. */
  readonly path: string;
  readonly reason: string;
}

type Problem = (path: string, reason: string) => void;

const checkRoutes = (routes: readonly RouteRule[], base: string, problem: Problem): void => {
  routes.forEach((route, r) => {
    const check = (d: { host: string; port?: number; subset?: string; cluster: string; weight: number }, path: string): void => {
      const expected = outboundClusterName(d.host, d.port, d.subset);
      if (d.cluster !== expected) problem(`${path}.cluster`, `is ${d.cluster}, expected ${expected}`);
      if (!Number.isFinite(d.weight) || d.weight < 0) problem(`${path}.weight`, `must be >= 0, got ${d.weight}`);
    };
    route.destinations.forEach((d, i) => check(d, `${base}[${r}].destinations[${i}]`));
    (route.mirrors ?? []).forEach((m, i) => {
      const path = `${base}[${r}].mirrors[${i}]`;
      check(m, path);
      if (!Number.isFinite(m.percentage) || m.percentage < 0 || m.percentage > 100) problem(`${path}.percentage`, `must be within 0..100, got ${m.percentage}`);
    });
  });
};

/**
 * Every cluster name says what it routes to, weights are non-negative, mirror percentages are
 * percentages, there is at least one route. `host` is the key the snapshot is stored under.
 */
export function checkSnapshot(host: string, snapshot: RoutingSnapshot): Either<SnapshotInconsistency[], RoutingSnapshot> {
  const problems: SnapshotInconsistency[] = [];
  const problem: Problem = (path, reason) => problems.push({ code: 'INCONSISTENT_SNAPSHOT', host, path, reason });
  if (snapshot.host !== host) problem('host', `snapshot is for ${snapshot.host}, stored as ${host}`);
  if (snapshot.routes.length === 0) problem('routes', 'must not be empty');
  checkRoutes(snapshot.routes, 'routes', problem);
  return problems.length === 0 ? right(snapshot) : left(problems);
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const policyOrder = (source: string): [number, string] => [source.startsWith(`${ROOT_NAMESPACE}/`) ? 0 : 1, source];

/**
 * A workload snapshot is for the workload it is stored under, its port-level modes name ports,
 * its authorization policies come root namespace first, then its own, each by name, and its
 * gateways' route tables pass the routing rules, each serving a port of its gateway.
 */
export function checkWorkloadSnapshot(expected: { readonly namespace: string; readonly name: string }, snapshot: WorkloadSnapshot): Either<SnapshotInconsistency[], WorkloadSnapshot> {
  const key = `${expected.namespace}/${expected.name}`;
  const problems: SnapshotInconsistency[] = [];
  const problem: Problem = (path, reason) => problems.push({ code: 'INCONSISTENT_SNAPSHOT', host: key, path, reason });
  const w = snapshot.workload;
  if (w.namespace !== expected.namespace || w.name !== expected.name) problem('workload', `snapshot is for ${w.namespace}/${w.name}, stored as ${key}`);
  for (const port of Object.keys(snapshot.mtls.ports)) {
    if (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535) problem(`mtls.ports[${JSON.stringify(port)}]`, 'must be a port number');
  }
  snapshot.authorization.forEach((p, i) => {
    const ns = p.source.slice(0, p.source.indexOf('/'));
    if (ns !== ROOT_NAMESPACE && ns !== w.namespace) problem(`authorization[${i}].source`, `${p.source} cannot select a workload of ${w.namespace}`);
    const previous = snapshot.authorization[i - 1];
    if (previous !== undefined) {
      const [a, b] = [policyOrder(previous.source), policyOrder(p.source)];
      if (a[0] > b[0] || (a[0] === b[0] && compareStrings(a[1], b[1]) >= 0)) problem(`authorization[${i}].source`, `${p.source} is out of order after ${previous.source}`);
    }
  });
  snapshot.gateways.forEach((g, i) => {
    const ports = new Set(g.servers.map((s) => s.port.number));
    g.routeTables.forEach((table, j) => {
      const base = `gateways[${i}].routeTables[${j}]`;
      if (table.routes.length === 0) problem(`${base}.routes`, 'must not be empty');
      table.ports.forEach((p, k) => {
        if (!ports.has(p)) problem(`${base}.ports[${k}]`, `${p} is no port of gateway ${g.source}`);
      });
      checkRoutes(table.routes, `${base}.routes`, problem);
    });
  });
  return problems.length === 0 ? right(snapshot) : left(problems);
}

export const formatInconsistency = (p: SnapshotInconsistency): string => `${p.host} ${p.path}: ${p.reason}`;
