import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { decodeTraceSpan } from '@jetmesh/model';
import { operationName, requestSpan, spanStatus, type SpanOrigin } from '../src/tracing/request-span.js';
import type { OutgoingContext } from '../src/tracing/trace-context.js';
import { sourceRecord } from './telemetry-fixtures.js';

const origin: SpanOrigin = {
  nodeId: 'sidecar~10.0.0.7~productpage-v1-abc.default~default.svc.cluster.local',
  meshId: 'cluster.local',
  canonicalService: 'productpage',
  canonicalRevision: 'v1',
  namespace: 'default',
};
const context: OutgoingContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', parentSpanId: '00f067aa0ba902b7', sampled: true, traceState: 'congo=t61rcWkgMzE' };

describe('trace.request-span', () => {
  it('an outbound request is a client span in the context it was sent with, named after the destination service, timed from the record', () => {
    const span = requestSpan(sourceRecord({ startTime: 1_700_000_000_123, durationMs: 2.5 }), context, origin);
    assert.equal(span.kind, 'client');
    assert.deepEqual([span.traceId, span.spanId, span.parentSpanId, span.traceState], [context.traceId, context.spanId, context.parentSpanId, context.traceState]);
    assert.equal(span.name, 'reviews.default.svc.cluster.local:9080/*');
    assert.equal(span.startNanos, '1700000000123000000');
    assert.equal(span.endNanos, '1700000000125500000');
    assert.equal(span.attributes['http.status_code'], 200);
    assert.equal(span.attributes['http.url'], 'http://reviews:9080/reviews/1');
    assert.equal(span.attributes['istio.canonical_service'], 'productpage');
    assert.deepEqual(span.destination, { workload: 'reviews-v2', namespace: 'default' });
  });

  it('an inbound request is a server span; a 4xx is an error only on the client side, a 5xx or no response on both', () => {
    assert.equal(requestSpan(sourceRecord({ reporter: 'destination' }), context, origin).kind, 'server');
    assert.equal(requestSpan(sourceRecord({ reporter: 'destination' }), context, origin).attributes.upstream_cluster, 'inbound|9080||');
    assert.deepEqual([spanStatus('server', 404), spanStatus('client', 404)], ['unset', 'error']);
    assert.deepEqual([spanStatus('server', 503), spanStatus('client', 0), spanStatus('server', 200)], ['error', 'error', 'unset']);
  });

  it('without a destination service the operation is named after the authority, port 80 when it has none', () => {
    assert.equal(operationName({ authority: 'example.com', destination: {} }), 'example.com:80/*');
    assert.equal(operationName({ authority: '[::1]:8080', destination: {} }), '[::1]:8080/*');
  });

  it('every span the proxy makes is accepted by the shared codec telemetry decodes with, long paths and odd records included (property)', () => {
    const record = fc.record({
      reporter: fc.constantFrom('source' as const, 'destination' as const),
      path: fc.string({ maxLength: 6_000 }).map((p) => `/${p}`),
      authority: fc.oneof(fc.constant('reviews:9080'), fc.constant(''), fc.string({ maxLength: 30 })),
      responseCode: fc.integer({ min: 0, max: 599 }),
      durationMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
      startTime: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      userAgent: fc.option(fc.string({ minLength: 1, maxLength: 5_000 }), { nil: undefined }),
      grpcStatus: fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined }),
      withService: fc.boolean(),
    });
    fc.assert(
      fc.property(record, ({ withService, userAgent, grpcStatus, ...over }) => {
        const base = sourceRecord(over);
        const r = { ...base, ...(withService ? {} : { destination: { workload: 'reviews-v2' } }), ...(userAgent !== undefined ? { userAgent } : {}), ...(grpcStatus !== undefined ? { grpcStatus } : {}) };
        const decoded = decodeTraceSpan(requestSpan(r, context, origin));
        assert.ok(isRight(decoded), JSON.stringify(decoded));
      }),
      { numRuns: 200 },
    );
  });
});
