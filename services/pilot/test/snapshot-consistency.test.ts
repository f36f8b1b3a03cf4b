import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { deriveSnapshots, emptyMeshState, replay, type RoutingSnapshot } from '@jetmesh/model';
import { checkSnapshot, formatInconsistency } from '../src/snapshot-consistency.js';
import { bookinfo, REVIEWS } from './pilot-harness.js';

const reviews = (): RoutingSnapshot => {
  const state = replay(emptyMeshState, [
    { stream: 'config', seq: 1, event: { id: 'cs-1', type: 'ChangeSet', at: '2024-05-01T12:00:00Z', actor: 'user:test', prev: '0'.repeat(64), changes: bookinfo().map((resource) => ({ op: 'apply', resource })) } },
  ]);
  const snapshot = deriveSnapshots(state).get(REVIEWS);
  assert.ok(snapshot);
  return snapshot;
};

const problemsOf = (host: string, snapshot: RoutingSnapshot): string[] => {
  const checked = checkSnapshot(host, snapshot);
  return isLeft(checked) ? checked.left.map(formatInconsistency) : [];
};

test('snapshot.consistency: the derived Bookinfo snapshot passes', () => {
  assert.ok(isRight(checkSnapshot(REVIEWS, reviews())));
});

test('snapshot.consistency: a cluster name that does not match its destination is refused, with its path', () => {
  const good = reviews();
  const [jason, rest] = good.routes;
  assert.ok(jason && rest);
  const wrong = { ...good, routes: [jason, { ...rest, destinations: rest.destinations.map((d, i) => (i === 1 ? { ...d, cluster: `outbound|9080|v3|${REVIEWS}` } : d)) }] };
  assert.deepEqual(problemsOf(REVIEWS, wrong), [
    `${REVIEWS} routes[1].destinations[1].cluster: is outbound|9080|v3|${REVIEWS}, expected outbound|9080|v2|${REVIEWS}`,
  ]);
});

test('snapshot.consistency: negative weights, no routes and a snapshot under another host are all reported at once', () => {
  const good = reviews();
  const [jason] = good.routes;
  assert.ok(jason);
  const negative = { ...good, routes: [{ ...jason, destinations: jason.destinations.map((d) => ({ ...d, weight: -5 })) }] };
  assert.deepEqual(problemsOf(REVIEWS, negative), [`${REVIEWS} routes[0].destinations[0].weight: must be >= 0, got -5`]);
  assert.deepEqual(problemsOf('ratings.default.svc.cluster.local', { ...good, routes: [] }), [
    `ratings.default.svc.cluster.local host: snapshot is for ${REVIEWS}, stored as ratings.default.svc.cluster.local`,
    'ratings.default.svc.cluster.local routes: must not be empty',
  ]);
});
