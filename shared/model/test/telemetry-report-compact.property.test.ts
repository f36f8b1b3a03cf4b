import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  COMPACT_ROW_LENGTH,
  decodeCompactTelemetryReport,
  decodeCompactTelemetryReportPlain,
  decodeTelemetryReportWire,
  encodeCompactTelemetryReport,
  fastDecodeCompactTelemetryReport,
  type TelemetryReport,
} from '../src/index.js';
import { changeOnePlace, onePlaceChanges } from './one-place-change.js';
import { labelValue, report } from './telemetry-report-arbitraries.js';

// Series whose label values often repeat across labels and series, so the dictionary is shared.
const sharedValues = fc.array(labelValue, { minLength: 1, maxLength: 4 });
const reportWithSharedValues: fc.Arbitrary<TelemetryReport> = fc.tuple(report, sharedValues, fc.array(fc.nat(), { minLength: 21, maxLength: 21 })).map(([r, values, picks]) => ({
  ...r,
  series: r.series.map((s, i) => ({ ...s, labels: Object.fromEntries(Object.keys(s.labels).map((l, j) => [l, values[(picks[j]! + i) % values.length]!])) as TelemetryReport['series'][number]['labels'] })),
}));
const anyReport = fc.oneof(report, reportWithSharedValues);

const wireOf = (r: TelemetryReport): Record<string, unknown> => JSON.parse(encodeCompactTelemetryReport(r)) as Record<string, unknown>;
const json = (u: unknown): unknown => JSON.parse(JSON.stringify(u));

describe('model.telemetry-report-compact', () => {
  it('round-trip: any report, encoded in format 2 and decoded, is equal to itself, through the wire dispatch too (property)', () => {
    fc.assert(
      fc.property(anyReport, (r) => {
        const wire = wireOf(r);
        assert.deepEqual(decodeCompactTelemetryReport(wire), { _tag: 'Right', right: r });
        assert.deepEqual(decodeCompactTelemetryReportPlain(wire), { _tag: 'Right', right: r });
        assert.deepEqual(decodeTelemetryReportWire(wire), { _tag: 'Right', right: r });
      }),
    );
  });

  it('encode: each label value is listed once, and a row has the fixed length', () => {
    const [r] = fc.sample(reportWithSharedValues.filter((x) => x.series.length > 1), { numRuns: 1, seed: 11 });
    const wire = wireOf(r!) as { labelValues: string[]; series: number[][] };
    assert.equal(new Set(wire.labelValues).size, wire.labelValues.length);
    assert.ok(wire.series.every((row) => row.length === COMPACT_ROW_LENGTH));
  });

  it('fast path: the one-pass decoder accepts exactly what the io-ts codec accepts, with the same value, for any one-place change of a format 2 report (property)', () => {
    const replacement = onePlaceChanges([-1, 1.5, 0, 2, 3, 1e9, '', 'unknown', 'x'.repeat(1025), null, [], {}, '__proto__'], ['extra', '__proto__', 'constructor', 'format'], fc.integer({ min: -2, max: 40 }));
    fc.assert(
      fc.property(anyReport, fc.nat(), replacement, (r, n, change) => {
        const u = changeOnePlace(wireOf(r), n, change);
        const fast = fastDecodeCompactTelemetryReport(u);
        const plain = decodeCompactTelemetryReportPlain(u);
        assert.equal(fast !== undefined, plain._tag === 'Right', JSON.stringify(u));
        if (fast !== undefined && plain._tag === 'Right') {
          assert.deepEqual(fast, plain.right);
          assert.deepEqual(json(fast), json(plain.right));
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('errors: a label index past the dictionary, a short row, a fractional count and a negative sum are each named at their path', () => {
    const [r] = fc.sample(report.filter((x) => x.series.length >= 2), { numRuns: 1, seed: 5 });
    const wire = wireOf(r!) as { labelValues: string[]; series: number[][] };
    const rows = wire.series;
    rows[0]![3] = wire.labelValues.length;
    rows[0]![30] = 1.5;
    rows[0]![COMPACT_ROW_LENGTH - 1] = -2;
    rows[1]!.pop();
    const decoded = decodeCompactTelemetryReport(wire);
    assert.ok(decoded._tag === 'Left');
    assert.deepEqual(
      decoded.left.map((e) => e.path),
      ['series[0][3]', 'series[0][30]', `series[0][${COMPACT_ROW_LENGTH - 1}]`, 'series[1]'],
    );
    assert.match(decoded.left[0]!.reason, /source_principal: must be an index into labelValues/);
    assert.match(decoded.left[3]!.reason, new RegExp(`must have ${COMPACT_ROW_LENGTH} numbers`));
  });

  it('errors: an empty label value in the dictionary, an unknown field, a bad window are refused', () => {
    const [r] = fc.sample(report.filter((x) => x.series.length >= 1), { numRuns: 1, seed: 9 });
    const paths = (u: unknown): string[] => {
      const d = decodeCompactTelemetryReport(u);
      return d._tag === 'Left' ? d.left.map((e) => e.path) : [];
    };
    const wire = wireOf(r!);
    assert.deepEqual(paths({ ...wire, labelValues: ['', ...(wire.labelValues as string[]).slice(1)] }), ['labelValues[0]']);
    assert.deepEqual(paths({ ...wire, extra: 1 }), ['extra']);
    assert.deepEqual(paths({ ...wire, window: { start: 'yesterday', end: r!.window.end } }), ['window.start']);
  });

  it('formats: no `format` field is format 1 (read by its own codec), 2 is this one, anything else is refused as unsupported_format, not guessed at', () => {
    const [r] = fc.sample(report, { numRuns: 1, seed: 3 });
    assert.deepEqual(decodeTelemetryReportWire(json(r)), { _tag: 'Right', right: r });
    const v1Broken = decodeTelemetryReportWire({ ...(json(r) as object), reporter: 'nobody' });
    assert.ok(v1Broken._tag === 'Left' && v1Broken.left.reason === 'invalid' && v1Broken.left.problems[0]?.path === 'reporter', JSON.stringify(v1Broken));
    for (const format of [1, 3, '2', null]) assert.deepEqual(decodeTelemetryReportWire({ ...wireOf(r!), format }), { _tag: 'Left', left: { reason: 'unsupported_format', format } });
    const v2Broken = decodeTelemetryReportWire({ ...wireOf(r!), overflowRequests: -1 });
    assert.ok(v2Broken._tag === 'Left' && v2Broken.left.reason === 'invalid' && v2Broken.left.problems[0]?.path === 'overflowRequests', JSON.stringify(v2Broken));
  });
});
