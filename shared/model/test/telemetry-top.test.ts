import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ISTIO_DURATION_BUCKETS_MS, decodeTopShare, histogramQuantile, mergeTopShares, topRows, type TopServiceShare, type TopShare } from '../src/index.js';

const bounds = [1, 2, 4];
const durations = (at: Record<number, number>): number[] => {
  const counts = new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0);
  for (const [i, n] of Object.entries(at)) counts[Number(i)] = n;
  return counts;
};
const share = (replica: string, services: TopServiceShare[]): TopShare => ({ replica, at: '2025-01-01T00:00:00.000Z', windowSeconds: 60, services });
const svc = (over: Partial<TopServiceShare> & Pick<TopServiceShare, 'requests'>): TopServiceShare => ({
  namespace: 'default',
  service: 'reviews.default.svc.cluster.local',
  reporter: 'destination',
  serverErrors: 0,
  durationMs: { counts: durations({ 2: over.requests }), sum: 3 * over.requests },
  ...over,
});

describe('model.histogram-quantile', () => {
  it("by the numbers, as PromQL's histogram_quantile: interpolated inside the bucket, the first bucket from 0, +Inf answered with the highest bound", () => {
    assert.equal(histogramQuantile(0.5, bounds, [10, 10, 0, 0]), 1);
    assert.equal(histogramQuantile(0.75, bounds, [10, 10, 0, 0]), 1.5);
    assert.equal(histogramQuantile(0.25, bounds, [10, 10, 0, 0]), 0.5);
    assert.equal(histogramQuantile(0.99, bounds, [0, 100, 0, 0]), 1.99);
    assert.equal(histogramQuantile(0.5, bounds, [0, 0, 0, 5]), 4, 'in +Inf: the highest finite bound');
    assert.ok(Number.isNaN(histogramQuantile(0.5, bounds, [0, 0, 0, 0])), 'nothing observed: NaN');
    assert.equal(histogramQuantile(-0.1, bounds, [1, 0, 0, 0]), -Infinity);
    assert.equal(histogramQuantile(1.1, bounds, [1, 0, 0, 0]), Infinity);
  });

  it('is monotone in q and stays between 0 and the highest bound (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }).filter((c) => c.some((n) => n > 0)), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (counts, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const qlo = histogramQuantile(lo, bounds, counts);
        const qhi = histogramQuantile(hi, bounds, counts);
        assert.ok(qlo <= qhi + 1e-9, `${qlo} <= ${qhi}`);
        assert.ok(qlo >= 0 && qhi <= 4);
      }),
    );
  });
});

describe('model.telemetry-top', () => {
  it('merge: the replicas\' shares add up per service and reporter, bucket by bucket', () => {
    const merged = mergeTopShares([share('a', [svc({ requests: 3, serverErrors: 1 })]), share('b', [svc({ requests: 2 }), svc({ requests: 7, reporter: 'source' })])]);
    assert.deepEqual(
      merged.sort((x, y) => x.reporter.localeCompare(y.reporter)),
      [svc({ requests: 5, serverErrors: 1 }), svc({ requests: 7, reporter: 'source' })],
    );
  });

  it("rows: a service's destination side when it reports, else its source side; rps over the window, non-5xx share, quantiles after the merge", () => {
    const rows = topRows(
      mergeTopShares([
        share('a', [svc({ requests: 60, serverErrors: 6 }), svc({ requests: 90, reporter: 'source' }), svc({ service: 'httpbin.org', requests: 30, reporter: 'source', durationMs: { counts: durations({ 7: 30 }), sum: 3000 } })]),
        share('b', [svc({ requests: 60 })]),
      ]),
      60,
    );
    assert.deepEqual(
      rows.map((r) => [r.service, r.reporter, r.requests, r.rps, r.successRate, r.p50Ms, r.p99Ms]),
      [
        ['httpbin.org', 'source', 30, 0.5, 1, 175, 248.5],
        ['reviews.default.svc.cluster.local', 'destination', 120, 2, 0.95, 3, 4.96],
      ],
    );
  });

  it('decode: an answer is read strictly (a wrong bucket count is refused at its path)', () => {
    const ok = share('a', [svc({ requests: 1 })]);
    assert.equal(decodeTopShare(JSON.parse(JSON.stringify(ok)))._tag, 'Right');
    const bad = decodeTopShare({ ...ok, services: [{ ...ok.services[0], durationMs: { counts: [1], sum: 0 } }] });
    assert.ok(bad._tag === 'Left');
    assert.deepEqual(bad.left.map((e) => e.path), ['services[0].durationMs.counts']);
  });
});
