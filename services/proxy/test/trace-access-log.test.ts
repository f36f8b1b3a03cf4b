import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServedRequest } from '../src/dataplane/served-request.js';
import { accessLogLine } from '../src/telemetry/access-log.js';
import { requestRecordOf, type ProxyWorkload } from '../src/telemetry/served-record.js';

const self: ProxyWorkload = { name: 'reviews-v2', namespace: 'default', spiffeId: 'spiffe://cluster.local/ns/default/sa/reviews', labels: { app: 'reviews', version: 'v2' }, domainSuffix: 'cluster.local' };
const served: ServedRequest = {
  direction: 'inbound', started: 0, durationMs: 3, method: 'GET', path: '/reviews/1', authority: 'reviews:9080', protocol: 'http1',
  status: 200, flags: [], requestBytes: 0, responseBytes: 10, mtls: false,
} as unknown as ServedRequest;

describe('trace.access-log', () => {
  it('the access log line carries the trace id of a traced request, and none for an untraced one', () => {
    const traced = { ...served, trace: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: false } };
    assert.equal(accessLogLine(requestRecordOf(traced, self, 1_000)).trace_id, '0af7651916cd43dd8448eb211c80319c');
    const untraced = accessLogLine(requestRecordOf(served, self, 1_000)).trace_id;
    assert.ok(untraced === undefined || untraced === '' || untraced === '-', String(untraced));
  });
});
