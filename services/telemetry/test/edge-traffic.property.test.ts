import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { edgeRows, edgeShareKey, mergeEdgeShares, type EdgeShare, type EdgeTrafficShare } from '@jetmesh/model';
import { seriesOf, type TestRequest } from '@jetmesh/testing';
import { EdgeTraffic } from '../src/edge-traffic.js';
import { IstioSeriesTable } from '../src/metrics/istio-series-table.js';

const WINDOW_S = 60;
const NOW = Date.parse('2026-01-01T00:10:00.000Z');

const request: fc.Arbitrary<TestRequest> = fc.record({
  labels: fc.record({
    reporter: fc.constantFrom('source', 'destination'),
    source_workload: fc.constantFrom('productpage-v1', 'reviews-v2', 'unknown'),
    source_workload_namespace: fc.constantFrom('default', 'shop'),
    source_canonical_service: fc.constantFrom('productpage', 'reviews'),
    destination_service: fc.constantFrom('reviews.default.svc.cluster.local', 'ratings.default.svc.cluster.local'),
    destination_service_namespace: fc.constant('default'),
    destination_workload: fc.constantFrom('reviews-v1', 'reviews-v2', 'ratings-v1'),
    response_code: fc.constantFrom('200', '404', '503', '500'),
    connection_security_policy: fc.constantFrom('mutual_tls', 'none', 'unknown'),
  }),
  durationMs: fc.double({ min: 0, max: 20_000, noNaN: true }),
});

const batches = fc.array(fc.array(request, { maxLength: 8 }), { maxLength: 6 });

const keyOfRequest = (r: TestRequest): string =>
  edgeShareKey({
    sourceNamespace: r.labels!.source_workload_namespace!,
    sourceWorkload: r.labels!.source_workload!,
    sourceService: r.labels!.source_canonical_service!,
    destinationNamespace: r.labels!.destination_service_namespace!,
    destinationService: r.labels!.destination_service!,
    reporter: r.labels!.reporter as 'source' | 'destination',
  });

/** What the requests add up to per edge, computed from the requests themselves. */
const expected = (requests: readonly TestRequest[]): Map<string, { requests: number; serverErrors: number; mutualTls: number; counts: number[] }> => {
  const out = new Map<string, { requests: number; serverErrors: number; mutualTls: number; counts: number[] }>();
  for (const r of requests) {
    const key = keyOfRequest(r);
    const e = out.get(key) ?? { requests: 0, serverErrors: 0, mutualTls: 0, counts: [] };
    e.requests += 1;
    if (r.labels!.response_code!.startsWith('5')) e.serverErrors += 1;
    if (r.labels!.connection_security_policy === 'mutual_tls') e.mutualTls += 1;
    const counts = seriesOf([r])[0]!.durationMs.counts;
    e.counts = counts.map((c, i) => c + (e.counts[i] ?? 0));
    out.set(key, e);
  }
  return out;
};

const asMap = (edges: readonly EdgeShare[]) => new Map(edges.map((e) => [edgeShareKey(e), { requests: e.requests, serverErrors: e.serverErrors, mutualTls: e.mutualTls, counts: [...e.durationMs.counts] }]));

describe('edge-traffic (caller workload → destination service over the window)', () => {
  it('edge-traffic.window: the share is exactly what arrived after the sample at the window start, per edge, whatever came before or other samples between', () => {
    fc.assert(
      fc.property(batches, batches, fc.array(fc.integer({ min: 1, max: WINDOW_S * 1000 }), { maxLength: 4 }), fc.integer({ min: 1, max: 300 }), (before, after, between, earlier) => {
        const table = new IstioSeriesTable(10_000);
        const edges = new EdgeTraffic(WINDOW_S);
        const start = NOW - WINDOW_S * 1000;
        edges.sample(table.values(), start - earlier * 1000);
        for (const b of before) for (const s of seriesOf(b)) table.add(s);
        edges.sample(table.values(), start);
        const times = [...between].sort((a, b) => a - b);
        after.forEach((b, i) => {
          for (const s of seriesOf(b)) table.add(s);
          const t = times[i];
          if (t !== undefined) edges.sample(table.values(), start + t);
        });
        const share = edges.share(table.values(), NOW);
        assert.equal(share.windowSeconds, WINDOW_S);
        assert.deepEqual(asMap(share.edges), expected(after.flat()));
      }),
      { numRuns: 150 },
    );
  });

  it('edge-traffic.replicas: reports split between replicas merge to what one replica holding them all answers', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(request, fc.boolean()), { maxLength: 40 }), (requests) => {
        const tables = [new IstioSeriesTable(10_000), new IstioSeriesTable(10_000), new IstioSeriesTable(10_000)];
        const windows = tables.map(() => new EdgeTraffic(WINDOW_S));
        windows.forEach((w, i) => w.sample(tables[i]!.values(), NOW - WINDOW_S * 1000));
        for (const [r, first] of requests) {
          for (const s of seriesOf([r])) {
            (first ? tables[0]! : tables[1]!).add(s);
            tables[2]!.add(s);
          }
        }
        const answer = (i: number): EdgeTrafficShare => ({ replica: `r${i}`, at: new Date(NOW).toISOString(), ...windows[i]!.share(tables[i]!.values(), NOW) });
        assert.deepEqual(asMap(mergeEdgeShares([answer(0), answer(1)])), asMap(answer(2).edges));
      }),
      { numRuns: 100 },
    );
  });

  it('edge-traffic.rows: an edge counts the caller side when it reported, else the server side; rps, 5xx share and p99 over the window; mutual TLS as the server side saw it', () => {
    const table = new IstioSeriesTable(100);
    const edges = new EdgeTraffic(WINDOW_S);
    edges.sample(table.values(), NOW - WINDOW_S * 1000);
    const call = (reporter: string, code: string, durationMs: number): TestRequest => ({
      labels: { reporter, connection_security_policy: reporter === 'destination' ? 'mutual_tls' : 'unknown', source_workload: 'productpage-v1', source_workload_namespace: 'default', source_canonical_service: 'productpage', destination_service: 'reviews.default.svc.cluster.local', destination_service_namespace: 'default', response_code: code },
      durationMs,
    });
    const requests = [...Array.from({ length: 110 }, () => call('source', '200', 3)), ...Array.from({ length: 10 }, () => call('source', '503', 700)), ...Array.from({ length: 7 }, () => call('destination', '200', 3))];
    for (const s of seriesOf(requests)) table.add(s);
    const share = edges.share(table.values(), NOW);
    const [row, ...rest] = edgeRows(share.edges, share.windowSeconds);
    assert.deepEqual(rest, []);
    assert.equal(row?.reporter, 'source');
    assert.equal(row?.requests, 120);
    assert.equal(row?.rps, 2);
    assert.equal(row?.errorRate, 10 / 120);
    assert.equal(row?.mutualTls, 1);
    assert.ok(row !== undefined && row.p99Ms > 500 && row.p99Ms <= 1000, `p99 in the 500..1000 ms bucket, got ${row?.p99Ms}`);
  });
});
