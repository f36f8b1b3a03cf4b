import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Endpoint } from '@jetmesh/model';
import type { ServedRequest } from '../src/dataplane/served-request.js';
import { requestRecordOf, type ProxyWorkload } from '../src/telemetry/served-record.js';

// A few proxies (a renewed certificate changes the SPIFFE ID) and endpoints, reused across requests as the proxy reuses them.
const selves: ProxyWorkload[] = [
  { name: 'productpage-v1', namespace: 'default', spiffeId: 'spiffe://cluster.local/ns/default/sa/productpage', labels: { app: 'productpage', version: 'v1' }, domainSuffix: 'cluster.local' },
  { name: 'productpage-v1', namespace: 'default', spiffeId: 'spiffe://other.td/ns/default/sa/productpage', labels: { app: 'productpage', version: 'v1' }, domainSuffix: 'cluster.local' },
  { name: 'ratings-v1', namespace: 'shop', spiffeId: 'spiffe://cluster.local/ns/shop/sa/ratings', labels: { 'service.istio.io/canonical-name': 'ratings-svc', 'service.istio.io/canonical-revision': 'r7' }, domainSuffix: 'mesh.example' },
];
const endpoints: Endpoint[] = [
  { address: '10.0.0.7', port: 15006, labels: { app: 'reviews', version: 'v2', 'security.istio.io/tlsMode': 'istio' }, workload: 'registry default/reviews-v2', serviceAccount: 'reviews' } as unknown as Endpoint,
  { address: '10.0.0.8', port: 80, labels: { 'service.istio.io/canonical-name': 'ext', 'service.istio.io/canonical-revision': 'x' } } as unknown as Endpoint,
  { address: '10.0.0.9', port: 15006, labels: {}, workload: 'WorkloadEntry shop/ratings-v1#0', serviceAccount: 'ratings' } as unknown as Endpoint,
];
const services = [undefined, 'reviews.default.svc.cluster.local', 'ratings.shop.svc.mesh.example', 'api.example.com'];

const served = fc.record({
  self: fc.nat(selves.length - 1),
  endpoint: fc.option(fc.nat(endpoints.length - 1), { nil: undefined }),
  service: fc.constantFrom(...services),
  direction: fc.constantFrom('outbound' as const, 'inbound' as const),
  mtls: fc.boolean(),
  status: fc.constantFrom(200, 503),
  peer: fc.option(fc.record({ workload: fc.constantFrom('a', 'b'), namespace: fc.constantFrom('default', 'shop'), app: fc.constantFrom('a', 'b') }), { nil: undefined }),
});

describe('telemetry.record property', () => {
  it('records built with the shared per-proxy, per-service and per-endpoint parts equal records built from fresh copies of every input', () => {
    fc.assert(
      fc.property(fc.array(served, { minLength: 1, maxLength: 30 }), (requests) => {
        for (const q of requests) {
          const r: ServedRequest = {
            direction: q.direction,
            started: 0,
            durationMs: 4,
            method: 'GET',
            path: '/p',
            authority: 'reviews:9080',
            protocol: 'http1',
            status: q.status,
            flags: [],
            requestBytes: 1,
            responseBytes: 2,
            mtls: q.mtls,
            ...(q.service !== undefined ? { service: q.service } : {}),
            ...(q.endpoint !== undefined ? { destinationEndpoint: endpoints[q.endpoint] } : {}),
            ...(q.peer !== undefined ? { peer: q.peer, peerSpiffeId: `spiffe://cluster.local/ns/${q.peer.namespace}/sa/${q.peer.workload}` } : {}),
          };
          const self = selves[q.self]!;
          assert.deepEqual(requestRecordOf(r, self, 1_000), requestRecordOf(structuredClone(r), structuredClone(self), 1_000));
        }
      }),
      { numRuns: 300 },
    );
  });
});
