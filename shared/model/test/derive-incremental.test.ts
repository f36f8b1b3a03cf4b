import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type LogEvent, canonicalJson, deriveMesh, deriveMeshIncrementally, deriveSnapshots, emptyMeshState, replay } from '../src/index.js';
import { twoStreams } from './arbitraries.js';
import { type ChangeSetBody, applying, chainConfigLog, deleting, mustDecode, registryLog, stateAfter } from './event-log.js';

/** Splits a log into batches at the given cut points (each batch folded, then derived once, as pilot does). */
const batches = (events: readonly LogEvent[], cuts: readonly number[]): LogEvent[][] => {
  const points = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
  const out: LogEvent[][] = [];
  let start = 0;
  for (const p of [...points, events.length]) {
    if (p > start) out.push(events.slice(start, p));
    start = Math.max(start, p);
  }
  return out;
};

test('derive.incremental.property: batch-by-batch incremental derivation equals a full derivation of the same state', () => {
  fc.assert(
    fc.property(twoStreams(), fc.array(fc.nat(), { maxLength: 6 }), ({ merged }, cuts) => {
      let derived = deriveMesh(emptyMeshState);
      for (const batch of batches(merged, cuts)) {
        const state = replay(derived.state, batch);
        const step = deriveMeshIncrementally(derived, state);
        derived = step.derived;
        assert.equal(canonicalJson([...derived.snapshots]), canonicalJson([...deriveSnapshots(state)]));
        for (const host of step.removed) assert.ok(!derived.snapshots.has(host));
      }
    }),
    { numRuns: 300 },
  );
});

test('derive.incremental: a batch that changes nothing re-derives nothing', () => {
  fc.assert(
    fc.property(twoStreams(), ({ merged }) => {
      const derived = deriveMesh(replay(emptyMeshState, merged));
      const step = deriveMeshIncrementally(derived, derived.state);
      assert.equal(step.rederived.size, 0);
      assert.equal(step.removed.size, 0);
    }),
    { numRuns: 50 },
  );
});

const doc = (kind: string, name: string, spec: unknown) => mustDecode({ apiVersion: 'networking.istio.io/v1', kind, metadata: { name }, spec });
const service = (name: string) => doc('ServiceEntry', name, { hosts: [name], ports: [{ number: 9080, name: 'http' }], workloadSelector: { labels: { app: name } } });
const workload = (name: string, app: string, version: string, address: string) =>
  doc('WorkloadEntry', name, { address, labels: { app, version } });
const subsets = (host: string) => doc('DestinationRule', host, { host, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });
const frontendToReviewsV1 = doc('VirtualService', 'frontend', { hosts: ['frontend'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] });

/** Folds the bodies one ChangeSet at a time, deriving incrementally after each, and checks against a full derivation. */
const stepThrough = (bodies: ChangeSetBody[]) => {
  const log = chainConfigLog(bodies);
  let derived = deriveMesh(emptyMeshState);
  for (const event of log) {
    derived = deriveMeshIncrementally(derived, replay(derived.state, [event])).derived;
    assert.equal(canonicalJson([...derived.snapshots]), canonicalJson([...deriveSnapshots(derived.state)]), `after seq ${event.seq}`);
  }
  return derived;
};

const FRONTEND = 'frontend.default.svc.cluster.local';
const endpointsOfFirstRoute = (d: ReturnType<typeof stepThrough>) => d.snapshots.get(FRONTEND)?.routes[0]?.destinations[0]?.endpoints.map((e) => e.address);

test('derive.incremental: a host routing to another sees the other host’s new endpoint', () => {
  const d = stepThrough([
    applying([service('frontend'), service('reviews'), subsets('reviews'), frontendToReviewsV1]),
    applying([workload('reviews-v1', 'reviews', 'v1', '10.0.0.1')]),
  ]);
  assert.deepEqual(endpointsOfFirstRoute(d), ['10.0.0.1']);
});

test('derive.incremental: relabelling a workload moves it between subsets of a host routed to from elsewhere', () => {
  const d = stepThrough([
    applying([service('frontend'), service('reviews'), subsets('reviews'), frontendToReviewsV1, workload('reviews-a', 'reviews', 'v1', '10.0.0.1')]),
    applying([workload('reviews-a', 'reviews', 'v2', '10.0.0.1')]),
  ]);
  assert.deepEqual(endpointsOfFirstRoute(d), []);
});

test('derive.incremental: deleting the DestinationRule of a routed-to host empties the subset elsewhere', () => {
  const d = stepThrough([
    applying([service('frontend'), service('reviews'), subsets('reviews'), frontendToReviewsV1, workload('reviews-a', 'reviews', 'v1', '10.0.0.1')]),
    deleting(subsets('reviews')),
  ]);
  assert.deepEqual(endpointsOfFirstRoute(d), []);
});

test('derive.incremental: registry workloads coming and going update the hosts routing to them', () => {
  const base = deriveMesh(stateAfter(applying([service('frontend'), service('reviews'), subsets('reviews'), frontendToReviewsV1])));
  const registered = registryLog([
    { id: 'r1', type: 'WorkloadRegistered', at: 't', actor: 'proxy', namespace: 'default', name: 'reviews-vm', workload: { address: '10.9.9.9', labels: { app: 'reviews', version: 'v1' } } },
    { id: 'r2', type: 'WorkloadRemoved', at: 't', actor: 'proxy', namespace: 'default', name: 'reviews-vm' },
  ]);
  const afterRegister = deriveMeshIncrementally(base, replay(base.state, [registered[0]!])).derived;
  assert.deepEqual(afterRegister.snapshots.get(FRONTEND)?.routes[0]?.destinations[0]?.endpoints.map((e) => e.address), ['10.9.9.9']);
  const afterRemove = deriveMeshIncrementally(afterRegister, replay(afterRegister.state, [registered[1]!])).derived;
  assert.deepEqual(afterRemove.snapshots.get(FRONTEND)?.routes[0]?.destinations[0]?.endpoints, []);
  assert.equal(canonicalJson([...afterRemove.snapshots]), canonicalJson([...deriveSnapshots(afterRemove.state)]));
});
