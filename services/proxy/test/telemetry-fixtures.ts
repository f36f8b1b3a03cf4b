import type { RequestRecord } from '../src/telemetry/request-record.js';

/** A request productpage's proxy carried to reviews v2 (source reporter). */
export const sourceRecord = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  reporter: 'source',
  source: { workload: 'productpage-v1', namespace: 'default', principal: 'spiffe://cluster.local/ns/default/sa/productpage', app: 'productpage', version: 'v1' },
  destination: { workload: 'reviews-v2', namespace: 'default', principal: 'spiffe://cluster.local/ns/default/sa/reviews', app: 'reviews', version: 'v2', service: 'reviews.default.svc.cluster.local', serviceName: 'reviews', serviceNamespace: 'default' },
  protocol: 'http',
  method: 'GET',
  path: '/reviews/1',
  authority: 'reviews:9080',
  responseCode: 200,
  responseFlags: '-',
  mtls: true,
  durationMs: 3,
  requestBytes: 0,
  responseBytes: 120,
  startTime: Date.UTC(2025, 0, 1),
  ...over,
});
