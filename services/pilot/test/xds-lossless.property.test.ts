import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { decodeResource } from '@jetmesh/model';
import { deriveSnapshotSet } from '../src/snapshot-set.js';
import type { TrafficPolicyOf } from '../src/xds/translation.js';
import { toXds } from '../src/xds/translation.js';
import { TypeUrls } from '../src/xds/type-urls.js';
import { xdsProtos } from '../src/xds/xds-protos.js';
import { meshStateOf } from './xds-fixtures.js';

/*
 * Issue 13: whatever galley accepts reaches the data plane as written. Route weights (int32),
 * timeouts (up to protobuf Duration's range) and retry attempts (int32) at any accepted value,
 * up to the bounds, go through derivation, xDS translation and Envoy's protobuf encoding, and
 * come back from the wire as the same numbers.
 */

const HOST = 'reviews.default.svc.cluster.local';
const INT32_MAX = 2147483647;
const MAX_DURATION_MS = 315_576_000_000_000;

const documents = (w1: number, w2: number, timeoutMs: number, attempts: number, perTryMs: number): unknown[] => [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: [HOST],
      ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }],
      resolution: 'STATIC',
      endpoints: [{ address: '10.0.0.1', labels: { version: 'v1' } }, { address: '10.0.0.2', labels: { version: 'v2' } }],
    },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { host: HOST, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      hosts: [HOST],
      http: [
        {
          route: [
            { destination: { host: HOST, subset: 'v1' }, weight: w1 },
            { destination: { host: HOST, subset: 'v2' }, weight: w2 },
          ],
          timeout: `${timeoutMs}ms`,
          retries: { attempts, perTryTimeout: `${perTryMs}ms` },
        },
      ],
    },
  },
];

const weight = fc.oneof(fc.integer({ min: 1, max: INT32_MAX }), fc.constantFrom(1, INT32_MAX));
const durationMs = fc.oneof(fc.integer({ min: 1, max: MAX_DURATION_MS }), fc.constantFrom(1, 999, 1000, MAX_DURATION_MS));
const attempts = fc.oneof(fc.integer({ min: 1, max: INT32_MAX }), fc.constant(INT32_MAX));

interface WireRoute {
  readonly route?: {
    readonly weighted_clusters?: { readonly clusters: ReadonlyArray<{ readonly name: string; readonly weight: { readonly value: number } }> };
    readonly timeout?: { readonly seconds?: number | string; readonly nanos?: number };
    readonly retry_policy?: { readonly num_retries?: { readonly value: number }; readonly per_try_timeout?: { readonly seconds?: number | string; readonly nanos?: number } };
  };
}
const msOf = (d: { readonly seconds?: number | string; readonly nanos?: number } | undefined): number => Number(d?.seconds ?? 0) * 1000 + (d?.nanos ?? 0) / 1_000_000;

test('xds.lossless.property: accepted weights, timeouts and retry attempts at any value up to their bounds come back from the Envoy wire unchanged', () => {
  const protos = xdsProtos();
  fc.assert(
    fc.property(weight, weight, durationMs, attempts, durationMs, (w1, w2, timeoutMs, tries, perTryMs) => {
      const docs = documents(w1, w2, timeoutMs, tries, perTryMs);
      for (const d of docs) assert.ok(isRight(decodeResource(d)), 'galley accepts the documents');
      const set = deriveSnapshotSet(meshStateOf(docs));
      const policyOf: TrafficPolicyOf = (h) => set.snapshots.get(h)?.snapshot.trafficPolicy;
      const snapshot = set.snapshots.get(HOST)?.snapshot;
      assert.ok(snapshot !== undefined);
      const xds = toXds(snapshot, policyOf);
      const routeConfig = xds.routeConfigurations[0];
      assert.ok(routeConfig !== undefined);
      const wire = protos.decode(TypeUrls.routeConfiguration, protos.encode(TypeUrls.routeConfiguration, routeConfig)) as {
        readonly virtual_hosts: ReadonlyArray<{ readonly routes: readonly WireRoute[] }>;
      };
      const route = wire.virtual_hosts.flatMap((v) => v.routes).find((r) => r.route?.weighted_clusters !== undefined)?.route;
      assert.ok(route !== undefined, 'a weighted route on the wire');
      assert.deepEqual(
        route.weighted_clusters?.clusters.map((c) => c.weight.value),
        [w1, w2],
      );
      assert.equal(msOf(route.timeout), timeoutMs);
      assert.equal(route.retry_policy?.num_retries?.value, tries);
      assert.equal(msOf(route.retry_policy?.per_try_timeout), perTryMs);
    }),
    { numRuns: 200 },
  );
});
