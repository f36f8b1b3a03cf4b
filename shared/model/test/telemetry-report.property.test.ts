import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ISTIO_REQUEST_LABELS, TelemetryReportCodec, decodeTelemetryReport } from '../src/index.js';
import { changeOnePlace, onePlaceChanges } from './one-place-change.js';
import { labels, report, series } from './telemetry-report-arbitraries.js';

const wire = (r: unknown): unknown => JSON.parse(JSON.stringify(r));

describe('model.telemetry-report', () => {
  it('round-trip: any report decodes from its JSON to an equal report (property)', () => {
    fc.assert(
      fc.property(report, (r) => {
        const decoded = decodeTelemetryReport(wire(r));
        assert.ok(decoded._tag === 'Right', JSON.stringify(decoded));
        assert.deepEqual(decoded.right, r);
      }),
    );
  });

  it('errors: a missing label, a wrong bucket count or a negative sum is refused at its path (property)', () => {
    fc.assert(
      fc.property(report.filter((r) => r.series.length > 0), fc.constantFrom(...ISTIO_REQUEST_LABELS), fc.nat(), (r, label, n) => {
        const i = n % r.series.length;
        const broken = wire(r) as { series: { labels: Record<string, string>; durationMs: { counts: number[] }; responseBytes: { sum: number } }[] };
        const s = broken.series[i]!;
        delete s.labels[label];
        s.durationMs.counts.pop();
        s.responseBytes.sum = -1;
        const decoded = decodeTelemetryReport(broken);
        assert.ok(decoded._tag === 'Left');
        const paths = decoded.left.map((e) => e.path);
        for (const p of [`series[${i}].labels.${label}`, `series[${i}].durationMs.counts`, `series[${i}].responseBytes.sum`]) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
      }),
    );
  });

  it('errors: an unknown field, a window that is not RFC 3339 or ends before it starts, an empty label value', () => {
    const ok = fc.sample(report, { numRuns: 1, seed: 7 })[0]!;
    const withSeries = { ...ok, series: [{ ...fc.sample(series, { numRuns: 1, seed: 7 })[0]!, labels: { ...fc.sample(labels, { numRuns: 1, seed: 7 })[0]!, response_code: '' } }] };
    const paths = (u: unknown): string[] => {
      const d = decodeTelemetryReport(u);
      return d._tag === 'Left' ? d.left.map((e) => e.path) : [];
    };
    assert.ok(paths({ ...ok, extra: 1 }).length > 0, 'an unknown field is refused');
    assert.deepEqual(paths({ ...ok, window: { start: 'yesterday', end: ok.window.end } }), ['window.start']);
    assert.deepEqual(paths({ ...ok, window: { start: '2025-01-01T00:00:01.000Z', end: '2025-01-01T00:00:00.000Z' } }), ['window']);
    assert.deepEqual(paths(wire(withSeries)), ['series[0].labels.response_code']);
  });

  it('fast path: the decoder accepts exactly what the strict codec accepts, with the same value, for any one-place change of a report (property)', () => {
    const replacement = onePlaceChanges([-1, 1.5, 0, '', 'unknown', null, [], {}, '__proto__'], ['extra', '__proto__', 'constructor', 'labels']);
    fc.assert(
      fc.property(report, fc.nat(), replacement, (r, n, change) => {
        const u = changeOnePlace(wire(r), n, change);
        const fast = decodeTelemetryReport(u);
        const strict = TelemetryReportCodec.decode(u);
        assert.equal(fast._tag, strict._tag, JSON.stringify(u));
        if (fast._tag === 'Right' && strict._tag === 'Right') assert.deepEqual(wire(fast.right), wire(strict.right));
      }),
      { numRuns: 2_000 },
    );
  });
});
