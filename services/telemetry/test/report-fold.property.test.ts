import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, istioRegistryMetrics, mergeTopShares, type IstioRequestLabels, type TelemetryReport } from '@jetmesh/model';
import { Registry } from 'prom-client';
import { buildTelemetryReport, type TestRequest } from '@jetmesh/testing';
import { IstioExposition } from '../src/metrics/istio-exposition.js';
import { ReportFold, type FoldOptions } from '../src/metrics/report-fold.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const options: FoldOptions = { maxSeries: 10_000, dedupeWindowMs: 120_000, maxReportIds: 100_000 };

// Few label values, so series repeat across reports; integer values, so sums add up exactly in any order.
const request: fc.Arbitrary<TestRequest> = fc.record({
  labels: fc.record({
    reporter: fc.constantFrom('source', 'destination'),
    destination_service: fc.constantFrom('reviews.default.svc.cluster.local', 'ratings.default.svc.cluster.local', 'details.shop.svc.cluster.local'),
    destination_service_namespace: fc.constantFrom('default', 'shop'),
    response_code: fc.constantFrom('200', '404', '503'),
    source_workload: fc.constantFrom('productpage-v1', 'unknown'),
  }),
  durationMs: fc.integer({ min: 0, max: 4_000_000 }),
  requestBytes: fc.integer({ min: 0, max: 2_000_000_000 }),
  responseBytes: fc.integer({ min: 0, max: 100_000 }),
});

/** Reports with distinct ids whose windows end within the last 50 s before NOW. */
const reports = (maxLength = 12): fc.Arbitrary<TelemetryReport[]> =>
  fc.array(fc.record({ ago: fc.integer({ min: 0, max: 50_000 }), requests: fc.array(request, { maxLength: 8 }), overflow: fc.nat({ max: 3 }) }), { maxLength }).map((rs) =>
    rs.map((r, i) => buildTelemetryReport({ id: `r${i}`, startMs: NOW - r.ago - 1000, endMs: NOW - r.ago, requests: r.requests, overflowRequests: r.overflow })),
  );

/** Prometheus' `le` counts of per-bucket counts. */
const cumulative = (counts: ArrayLike<number>): number[] => {
  let running = 0;
  return Array.from(counts, (c) => (running += c));
};

/** What /metrics would show, by label set: values only, order-free. */
const exported = (fold: ReportFold): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const s of fold.series.values()) {
    const key = ISTIO_REQUEST_LABELS.map((l) => s.labels[l]).join('|');
    out[key] = { requests: s.requests, d: [...cumulative(s.durationMs.counts), s.durationMs.sum], q: [...cumulative(s.requestBytes.counts), s.requestBytes.sum], p: [...cumulative(s.responseBytes.counts), s.responseBytes.sum] };
  }
  return out;
};

const topOf = (fold: ReportFold) =>
  mergeTopShares([{ replica: 'r', at: '', windowSeconds: 60, services: fold.top.share(NOW) }]).sort((a, b) => `${a.namespace}${a.service}${a.reporter}`.localeCompare(`${b.namespace}${b.service}${b.reporter}`));

const foldAll = (rs: readonly TelemetryReport[], opts = options) => {
  const fold = new ReportFold(opts);
  const outcomes = rs.map((r) => fold.add(r, NOW));
  return { fold, outcomes };
};

describe('telemetry.fold', () => {
  it('buckets: every histogram is cumulative (le ascending), +Inf equals istio_requests_total, and no value ever goes down from one report to the next (property)', () => {
    fc.assert(
      fc.property(reports(), (rs) => {
        const fold = new ReportFold(options);
        let before = exported(fold);
        for (const r of rs) {
          fold.add(r, NOW);
          for (const s of fold.series.values()) {
            for (const h of [s.durationMs, s.requestBytes, s.responseBytes]) {
              const le = cumulative(h.counts);
              for (let i = 1; i < le.length; i++) assert.ok((le[i] ?? 0) >= (le[i - 1] ?? 0), 'le counts ascend');
              assert.equal(le.at(-1), s.requests, '+Inf bucket = _count = requests');
            }
          }
          const now = exported(fold);
          for (const [key, was] of Object.entries(before) as [string, { requests: number; d: number[]; q: number[]; p: number[] }][]) {
            const is = now[key] as typeof was;
            assert.ok(is.requests >= was.requests);
            for (const h of ['d', 'q', 'p'] as const) was[h].forEach((v, i) => assert.ok((is[h][i] ?? 0) >= v, `${h}[${i}] went down`));
          }
          before = now;
        }
      }),
    );
  });

  it('counts: istio_requests_total per label set is the number of requests with those labels, over every report (property)', () => {
    fc.assert(
      fc.property(reports(), (rs) => {
        const { fold } = foldAll(rs);
        const expected = new Map<string, number>();
        for (const r of rs) for (const s of r.series) expected.set(ISTIO_REQUEST_LABELS.map((l) => s.labels[l]).join('|'), (expected.get(ISTIO_REQUEST_LABELS.map((l) => s.labels[l]).join('|')) ?? 0) + s.requests);
        const actual = new Map([...fold.series.values()].map((s) => [ISTIO_REQUEST_LABELS.map((l) => s.labels[l]).join('|'), s.requests]));
        assert.deepEqual(actual, expected);
      }),
    );
  });

  it('redelivery: the same reports with any of them sent again give exactly the counts of each once; every copy is rejected as duplicate (property)', () => {
    fc.assert(
      fc.property(reports().filter((rs) => rs.length > 0), fc.array(fc.nat(), { minLength: 1, maxLength: 10 }), (rs, picks) => {
        const again = picks.map((p) => rs[p % rs.length]!);
        const once = foldAll(rs);
        const twice = foldAll([...rs, ...again]);
        assert.deepEqual(exported(twice.fold), exported(once.fold));
        assert.deepEqual(topOf(twice.fold), topOf(once.fold));
        assert.deepEqual(twice.outcomes.slice(rs.length).map((o) => ('reason' in o ? o.reason : 'counted')), again.map(() => 'duplicate'));
      }),
    );
  });

  it('late and out-of-order windows: any order of the same reports gives the same counters and the same top (property)', () => {
    fc.assert(
      fc.property(reports().chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length }))), ([rs, shuffled]) => {
        const inOrder = foldAll([...rs].sort((a, b) => a.window.end.localeCompare(b.window.end)));
        const any = foldAll(shuffled);
        assert.deepEqual(exported(any.fold), exported(inOrder.fold));
        assert.deepEqual(topOf(any.fold), topOf(inOrder.fold));
      }),
    );
  });

  it('bounded memory: at most maxReportIds ids are kept; a report resent after its id was forgotten is refused (too_old), never counted twice (property)', () => {
    fc.assert(
      fc.property(reports(30), fc.integer({ min: 1, max: 8 }), (rs, maxReportIds) => {
        const opts = { ...options, maxReportIds };
        const fold = new ReportFold(opts);
        for (const r of rs) {
          fold.add(r, NOW);
          assert.ok(fold.dedupe.size <= maxReportIds);
        }
        const counted = exported(fold);
        for (const r of rs) {
          const again = fold.add(r, NOW);
          assert.ok('reason' in again && (again.reason === 'duplicate' || again.reason === 'too_old'), JSON.stringify(again));
        }
        assert.deepEqual(exported(fold), counted);
      }),
    );
  });

  it('too old: a window that ended before the dedupe window is refused and counts nothing', () => {
    const fold = new ReportFold(options);
    const old = buildTelemetryReport({ id: 'old', startMs: NOW - 200_000, endMs: NOW - 121_000, requests: [{ durationMs: 3 }] });
    assert.deepEqual(fold.add(old, NOW), { counted: false, reason: 'too_old', detail: `report old's window ended ${old.window.end}, before the dedupe window` });
    assert.equal(fold.series.size, 0);
    const late = buildTelemetryReport({ id: 'late', startMs: NOW - 100_000, endMs: NOW - 99_000, requests: [{ durationMs: 3 }] });
    assert.equal(fold.add(late, NOW).counted, true, 'late but inside the dedupe window: counted');
    assert.deepEqual(fold.top.share(NOW), [], 'but older than a minute: not in top');
  });

  it('labels: a label the reporter did not know is exported as unknown, and every series carries all of Istio\'s labels', () => {
    const fold = new ReportFold(options);
    const report = buildTelemetryReport({ id: 'a', startMs: NOW - 1000, endMs: NOW, requests: [{ labels: { reporter: 'source', destination_service: 'reviews.default.svc.cluster.local' }, durationMs: 1 }] });
    // A hand-made window with an empty value (the codec refuses it on the wire; the fold still never exports '').
    const blank = { ...report, id: 'b', series: report.series.map((s) => ({ ...s, labels: { ...s.labels, source_app: '' } as IstioRequestLabels })) };
    fold.add(report, NOW);
    fold.add(blank, NOW);
    const all = [...fold.series.values()];
    assert.equal(all.length, 1, "'' and unknown are one series");
    assert.deepEqual(Object.keys(all[0]!.labels), [...ISTIO_REQUEST_LABELS]);
    assert.equal(all[0]!.labels.source_app, 'unknown');
    assert.equal(all[0]!.labels.destination_principal, 'unknown');
    assert.equal(all[0]!.requests, 2);
  });

  it('inconsistent: a window whose bucket counts do not add up to its requests is refused whole and counts nothing', () => {
    const fold = new ReportFold(options);
    const good = buildTelemetryReport({ id: 'x', startMs: NOW - 1000, endMs: NOW, requests: [{ durationMs: 1 }, { durationMs: 7, labels: { response_code: '503' } }] });
    const bad = { ...good, series: [good.series[0]!, { ...good.series[1]!, requests: 5 }] };
    const outcome = fold.add(bad, NOW);
    assert.deepEqual(outcome, { counted: false, reason: 'inconsistent', detail: 'series[1].durationMs: counts add up to 1, not the 5 requests' });
    assert.equal(fold.series.size, 0);
    assert.equal(fold.add(good, NOW).counted, true, 'the id was not spent on the refused copy');
  });

  it('series cap: a new label set past maxSeries is left out and counted as overflow; held ones keep counting', () => {
    const fold = new ReportFold({ ...options, maxSeries: 1 });
    const a = buildTelemetryReport({ id: 'a', startMs: NOW - 1000, endMs: NOW, requests: [{ durationMs: 1, labels: { response_code: '200' } }] });
    const b = buildTelemetryReport({ id: 'b', startMs: NOW - 1000, endMs: NOW, requests: [{ durationMs: 1, labels: { response_code: '200' } }, { durationMs: 1, labels: { response_code: '500' } }, { durationMs: 2, labels: { response_code: '500' } }], overflowRequests: 4 });
    fold.add(a, NOW);
    assert.deepEqual(fold.add(b, NOW), { counted: true, requests: 1, proxyOverflow: 4, seriesOverflow: 2 });
    assert.deepEqual([...fold.series.values()].map((s) => [s.labels.response_code, s.requests]), [['200', 2]]);
  });

  it('top: per destination service and reporter, the last minute only, 5xx counted, the duration buckets added up', () => {
    const fold = new ReportFold(options);
    const dest = { reporter: 'destination', destination_service: 'reviews.default.svc.cluster.local', destination_service_namespace: 'default' } as const;
    fold.add(buildTelemetryReport({ id: '1', startMs: NOW - 2000, endMs: NOW - 1000, requests: [{ labels: { ...dest, response_code: '200' }, durationMs: 3 }, { labels: { ...dest, response_code: '503' }, durationMs: 30 }] }), NOW);
    fold.add(buildTelemetryReport({ id: '2', startMs: NOW - 31_000, endMs: NOW - 30_000, requests: [{ labels: { ...dest, response_code: '200' }, durationMs: 3 }] }), NOW);
    fold.add(buildTelemetryReport({ id: '3', startMs: NOW - 62_000, endMs: NOW - 61_000, requests: [{ labels: { ...dest, response_code: '200' }, durationMs: 3 }] }), NOW);
    fold.add(buildTelemetryReport({ id: '4', startMs: NOW - 2000, endMs: NOW - 1000, requests: [{ labels: { ...dest, reporter: 'source', response_code: '200' }, durationMs: 4 }] }), NOW);
    const counts = new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0);
    counts[2] = 2; // 3 ms twice: (1, 5]
    counts[5] = 1; // 30 ms: (25, 50]
    const [destination, source] = [...fold.top.share(NOW)].sort((a, b) => a.reporter.localeCompare(b.reporter));
    assert.deepEqual(destination, { namespace: 'default', service: 'reviews.default.svc.cluster.local', reporter: 'destination', requests: 3, serverErrors: 1, durationMs: { counts, sum: 36 } });
    assert.equal(source?.requests, 1);
    assert.deepEqual(fold.top.share(NOW, { namespace: 'shop' }), []);
    assert.deepEqual(fold.top.share(NOW + 60_000), [], 'a minute later nothing is left');
    assert.equal(fold.top.size, 0, 'and quiet services are dropped');
  });
});

/** Every sample line of Prometheus text as `name{label="v",…sorted}` → value, plus its HELP/TYPE lines. */
const samplesOf = (text: string): { meta: string[]; samples: Map<string, number> } => {
  const meta: string[] = [];
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) meta.push(line);
    else if (line !== '') {
      const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
      assert.ok(m !== null, line);
      const labels = [...m[2]!.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort();
      samples.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
    }
  }
  return { meta, samples };
};

describe('telemetry.exposition property', () => {
  it("one implementation: the telemetry service's /metrics text and the proxy's registry form (prom-client rendering istioRegistryMetrics) carry the same metrics, help, types and samples for any folded reports (property)", async () => {
    await fc.assert(
      fc.asyncProperty(reports(8), async (rs) => {
        const { fold } = foldAll(rs);
        const registry = new Registry();
        for (const m of istioRegistryMetrics(() => fold.series.values(), () => undefined)) registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
        const text = samplesOf(new IstioExposition(fold.series).text());
        const viaRegistry = samplesOf(await registry.metrics());
        assert.deepEqual(text.meta, viaRegistry.meta);
        assert.deepEqual(new Map([...text.samples].sort()), new Map([...viaRegistry.samples].sort()));
      }),
      { numRuns: 100 },
    );
  });
});
