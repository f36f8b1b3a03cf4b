import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type HTTPRoute, deriveSnapshots, mergeMatches } from '../src/index.js';
import { stringMatch } from './arbitraries.js';
import { applying, mustDecode, stateAfter } from './event-log.js';

const doc = (kind: string, namespace: string, name: string, spec: unknown) =>
  mustDecode({ apiVersion: 'networking.istio.io/v1', kind, metadata: { name, namespace }, spec });
const service = (namespace: string, host: string) => doc('ServiceEntry', namespace, host.split('.')[0]!, { hosts: [host], ports: [{ number: 80, name: 'http' }], resolution: 'NONE' });

// Istio's documented example: bookinfo.com delegates /productpage and /reviews to two teams' VirtualServices.
const root = doc('VirtualService', 'default', 'bookinfo', {
  hosts: ['bookinfo.com'],
  http: [
    { match: [{ uri: { prefix: '/productpage' } }], delegate: { name: 'productpage', namespace: 'team-a' }, timeout: '5s' },
    { match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'reviews', namespace: 'team-b' } },
  ],
});
const productpage = doc('VirtualService', 'team-a', 'productpage', {
  http: [
    { match: [{ uri: { prefix: '/productpage/v1' } }], route: [{ destination: { host: 'productpage-v1' } }] },
    { route: [{ destination: { host: 'productpage' } }], timeout: '1s' },
  ],
});
const reviews = doc('VirtualService', 'team-b', 'reviews', {
  http: [
    // Outside the root's /reviews prefix: Istio drops this route.
    { match: [{ uri: { prefix: '/ratings' } }], route: [{ destination: { host: 'ratings' } }] },
    { match: [{ uri: { exact: '/reviews/1' } }, { uri: { prefix: '/other' } }], route: [{ destination: { host: 'reviews' } }] },
  ],
});

const BOOKINFO = 'bookinfo.com';
const routesOf = (state: ReturnType<typeof stateAfter>) => deriveSnapshots(state).get(BOOKINFO)!;

test('delegate.routes: the root’s delegating routes become the delegates’ routes, narrowed to the root’s match', () => {
  const snapshot = routesOf(stateAfter(applying([service('default', BOOKINFO), root, productpage])));
  const table = snapshot.routes.map((r) => ({ match: r.match.map((m) => m.uri), to: r.destinations.map((d) => d.host), timeoutMs: r.timeoutMs }));
  assert.deepEqual(table, [
    // The delegate's own prefix lies inside the root's, so it stays; the root's timeout is inherited.
    { match: [{ prefix: '/productpage/v1' }], to: ['productpage-v1.team-a.svc.cluster.local'], timeoutMs: 5000 },
    // No match of its own: the root's match applies; its own timeout wins over the root's.
    { match: [{ prefix: '/productpage' }], to: ['productpage.team-a.svc.cluster.local'], timeoutMs: 1000 },
  ]);
  // The delegate for /reviews does not exist yet: that route is skipped, and the snapshot says so.
  assert.ok(snapshot.warnings.some((w) => w.includes('delegate VirtualService team-b/reviews does not exist')));
});

test('delegate.routes: a delegate match outside the root’s match is dropped; a delegate match fitting no root match drops the route', () => {
  const snapshot = routesOf(stateAfter(applying([service('default', BOOKINFO), root, reviews])));
  // reviews http[0] (/ratings) conflicts; http[1] has /other, which fits no root match: the whole route is dropped.
  assert.deepEqual(snapshot.routes.map((r) => r.destinations.map((d) => d.host)), [['bookinfo.com']]);
  assert.ok(snapshot.warnings.some((w) => w.includes('team-b/reviews http[0]: its matches conflict')));
  assert.ok(snapshot.warnings.some((w) => w.includes('team-b/reviews http[1]: its matches conflict')));
});

test('delegate.routes: a delegate exported only to its own namespace, or one with hosts, is not used', () => {
  const privateDelegate = doc('VirtualService', 'team-a', 'productpage', { exportTo: ['.'], http: [{ route: [{ destination: { host: 'productpage' } }] }] });
  const notADelegate = doc('VirtualService', 'team-b', 'reviews', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] });
  const snapshot = routesOf(stateAfter(applying([service('default', BOOKINFO), root, privateDelegate, notADelegate])));
  assert.ok(snapshot.warnings.some((w) => w.includes('delegate VirtualService team-a/productpage is not exported to namespace default')));
  assert.ok(snapshot.warnings.some((w) => w.includes('VirtualService team-b/reviews has hosts, so it is not a delegate')));
  assert.deepEqual(snapshot.routes.map((r) => r.destinations.map((d) => d.host)), [['bookinfo.com']]);
});

test('delegate.routes: a delegate VirtualService alone serves no host', () => {
  const snapshots = deriveSnapshots(stateAfter(applying([productpage])));
  assert.deepEqual([...snapshots.keys()], []);
});

const prefixMatch = fc.stringMatching(/^\/[a-z]{0,3}(\/[a-z]{0,3})?$/).map((prefix) => ({ uri: { prefix } }));

test('delegate.merge.property: every merged match lies inside a root match (its URI prefix extends the root’s)', () => {
  fc.assert(
    fc.property(fc.array(prefixMatch, { minLength: 1, maxLength: 3 }), fc.array(prefixMatch, { minLength: 1, maxLength: 3 }), (rootMatches, leafMatches) => {
      const merged = mergeMatches(rootMatches, leafMatches);
      const fitsSomeRoot = (leaf: { uri: { prefix: string } }) => rootMatches.some((r) => leaf.uri.prefix.startsWith(r.uri.prefix));
      if (leafMatches.every(fitsSomeRoot)) {
        assert.ok(merged !== undefined);
        for (const m of merged) assert.ok(rootMatches.some((r) => (m.uri?.prefix ?? '').startsWith(r.uri.prefix)));
      } else {
        assert.equal(merged, undefined);
      }
    }),
  );
});

test('delegate.merge.property: with no root match the delegate’s matches are kept as they are, and the other way round', () => {
  const anyMatch = fc.record({ uri: stringMatch, method: stringMatch }, { requiredKeys: [] }) as fc.Arbitrary<NonNullable<HTTPRoute['match']>[number]>;
  fc.assert(
    fc.property(fc.array(anyMatch, { maxLength: 3 }), (matches) => {
      assert.deepEqual(mergeMatches(undefined, matches), matches);
      assert.deepEqual(mergeMatches(matches, []), matches);
    }),
  );
});
