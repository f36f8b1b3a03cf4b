import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_HISTOGRAMS, ISTIO_REQUEST_LABELS, ISTIO_REQUESTS_TOTAL } from '@jetmesh/model';
import { createProxyStats } from '../src/telemetry/proxy-stats.js';
import { measure, recordLabels, type RequestRecord } from '../src/telemetry/request-record.js';
import { sourceRecord } from './telemetry-fixtures.js';

/** The plain path the proxy used before: prom-client's own Counter and Histograms, one observation each. */
function plainIstioMetrics(registry: Registry): (r: RequestRecord) => void {
  const labelNames = [...ISTIO_REQUEST_LABELS];
  const help = (name: string): string => ISTIO_HISTOGRAMS.find((h) => h.name === name)?.help ?? 'missing';
  const requests = new Counter({ name: 'istio_requests_total', help: ISTIO_REQUESTS_TOTAL.help, labelNames, registers: [registry] });
  const duration = new Histogram({ name: 'istio_request_duration_milliseconds', help: help('istio_request_duration_milliseconds'), labelNames, buckets: [...ISTIO_DURATION_BUCKETS_MS], registers: [registry] });
  const requestBytes = new Histogram({ name: 'istio_request_bytes', help: help('istio_request_bytes'), labelNames, buckets: [...ISTIO_BYTE_BUCKETS], registers: [registry] });
  const responseBytes = new Histogram({ name: 'istio_response_bytes', help: help('istio_response_bytes'), labelNames, buckets: [...ISTIO_BYTE_BUCKETS], registers: [registry] });
  return (r) => {
    const labels = recordLabels(r);
    requests.inc(labels);
    duration.observe(labels, measure(r.durationMs));
    requestBytes.observe(labels, measure(r.requestBytes));
    responseBytes.observe(labels, measure(r.responseBytes));
  };
}

// Values on and around bucket bounds, negatives, NaN and infinities (a clock step), and label values needing escapes.
const amount = fc.oneof(fc.constantFrom(0, 0.5, 1, 5, 10, 1000, 3600000, 1e10, -1, NaN, Infinity), fc.double({ min: -10, max: 5e6, noNaN: false }));
const record = fc
  .record({
    reporter: fc.constantFrom('source' as const, 'destination' as const),
    responseCode: fc.constantFrom(200, 404, 503),
    responseFlags: fc.constantFrom('-', ['UH'], ['UF', 'URX'], [] as string[]),
    grpcStatus: fc.option(fc.constantFrom(0, 14), { nil: undefined }),
    mtls: fc.boolean(),
    workload: fc.constantFrom('reviews-v2', 'rat"ings\\v1', 'line\nbreak', ''),
    durationMs: amount,
    requestBytes: amount,
    responseBytes: amount,
  })
  .map(({ workload, grpcStatus, ...r }) => sourceRecord({ ...r, ...(grpcStatus !== undefined ? { grpcStatus } : {}), destination: { workload, namespace: 'default', service: 'reviews.default.svc.cluster.local' } }));

describe('telemetry.stats property', () => {
  it("/stats text and JSON of Istio's request metrics equal what prom-client's own metrics give, for any requests", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 40 }), async (records) => {
        const fast = new Registry();
        const stats = createProxyStats(fast);
        const plain = new Registry();
        const observe = plainIstioMetrics(plain);
        for (const r of records) {
          stats.observe(r);
          observe(r);
        }
        const istio = (text: string): string => text.split('\n\n').map((block) => block.trim()).filter((block) => block.includes('# TYPE istio_')).join('\n\n');
        assert.equal(istio(await fast.metrics()), istio(await plain.metrics()));
        const json = async (reg: Registry) => (await reg.getMetricsAsJSON()).filter((m) => m.name.startsWith('istio_'));
        assert.deepEqual(await json(fast), await json(plain));
      }),
      { numRuns: 200 },
    );
  });
});
