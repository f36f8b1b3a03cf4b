import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { outboundClusterName, type RoutingSnapshot } from '@jetmesh/model';

/** A snapshot that contradicts itself: derivation has a bug, so no proxy may see it. */
export interface SnapshotInconsistency {
  readonly code: 'INCONSISTENT_SNAPSHOT';
  readonly host: string;
  /** Where in the snapshot, e.g. `routes[1].destinations[0].cluster`. */
  readonly path: string;
  readonly reason: string;
}

/**
 * go-control-plane's Snapshot.Consistent, for our snapshot shape: every cluster name says what
 * it routes to, weights are non-negative, there is at least one route. `host` is the key the
 * snapshot will be stored under.
 */
export function checkSnapshot(host: string, snapshot: RoutingSnapshot): Either<SnapshotInconsistency[], RoutingSnapshot> {
  const problems: SnapshotInconsistency[] = [];
  const problem = (path: string, reason: string): void => {
    problems.push({ code: 'INCONSISTENT_SNAPSHOT', host, path, reason });
  };
  if (snapshot.host !== host) problem('host', `snapshot is for ${snapshot.host}, stored as ${host}`);
  if (snapshot.routes.length === 0) problem('routes', 'must not be empty');
  snapshot.routes.forEach((route, r) => {
    route.destinations.forEach((d, i) => {
      const path = `routes[${r}].destinations[${i}]`;
      const expected = outboundClusterName(d.host, d.port, d.subset);
      if (d.cluster !== expected) problem(`${path}.cluster`, `is ${d.cluster}, expected ${expected}`);
      if (!Number.isFinite(d.weight) || d.weight < 0) problem(`${path}.weight`, `must be >= 0, got ${d.weight}`);
    });
  });
  return problems.length === 0 ? right(snapshot) : left(problems);
}

export const formatInconsistency = (p: SnapshotInconsistency): string => `${p.host} ${p.path}: ${p.reason}`;
