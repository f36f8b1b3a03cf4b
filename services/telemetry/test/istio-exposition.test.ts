import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCompactTelemetryReport } from '@jetmesh/model';
import { buildTelemetryReport } from '@jetmesh/testing';
import { IstioExposition } from '../src/metrics/istio-exposition.js';
import { ReportFold } from '../src/metrics/report-fold.js';
import { readReport } from '../src/metrics/report-reader.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const labels = { reporter: 'destination', destination_service: 'reviews.default.svc.cluster.local', response_code: '200' } as const;
const shown = 'reporter="destination",source_workload="unknown",source_workload_namespace="unknown",source_principal="unknown",source_app="unknown",source_version="unknown",source_canonical_service="unknown",destination_workload="unknown",destination_workload_namespace="unknown",destination_principal="unknown",destination_app="unknown",destination_version="unknown",destination_service="reviews.default.svc.cluster.local",destination_service_name="unknown",destination_service_namespace="unknown",destination_canonical_service="unknown",request_protocol="unknown",response_code="200",grpc_response_status="unknown",response_flags="unknown",connection_security_policy="unknown"';

describe('telemetry.istio-exposition', () => {
  it("exposition: Istio's names, types, labels and buckets, with exactly the folded counts", async () => {
    const fold = new ReportFold({ maxSeries: 10, dedupeWindowMs: 60_000, maxReportIds: 10 });
    const exposition = new IstioExposition(fold.series);
    fold.add(buildTelemetryReport({ id: 'a', startMs: NOW - 1000, endMs: NOW, requests: [{ labels, durationMs: 0.5, requestBytes: 0, responseBytes: 120 }, { labels, durationMs: 7, requestBytes: 10, responseBytes: 5000 }] }), NOW);
    fold.add(buildTelemetryReport({ id: 'b', startMs: NOW, endMs: NOW + 1000, requests: [{ labels, durationMs: 7000, requestBytes: 10, responseBytes: 1 }] }), NOW);
    const text = exposition.text();
    const lines = text.split('\n');
    assert.ok(lines.includes('# TYPE istio_requests_total counter'));
    assert.ok(lines.includes(`istio_requests_total{${shown}} 3`));
    assert.ok(lines.includes('# TYPE istio_request_duration_milliseconds histogram'));
    const duration = lines.filter((l) => l.startsWith('istio_request_duration_milliseconds_bucket'));
    assert.deepEqual(
      duration.map((l) => [/le="([^"]+)"/.exec(l)?.[1], Number(l.split(' ').at(-1))]),
      [['0.5', 1], ['1', 1], ['5', 1], ['10', 2], ['25', 2], ['50', 2], ['100', 2], ['250', 2], ['500', 2], ['1000', 2], ['2500', 2], ['5000', 2], ['10000', 3], ['30000', 3], ['60000', 3], ['300000', 3], ['600000', 3], ['1800000', 3], ['3600000', 3], ['+Inf', 3]],
    );
    assert.ok(lines.includes(`istio_request_duration_milliseconds_sum{${shown}} 7007.5`));
    assert.ok(lines.includes(`istio_request_duration_milliseconds_count{${shown}} 3`));
    assert.ok(lines.includes(`istio_request_bytes_bucket{${shown},le="1"} 1`));
    assert.ok(lines.includes(`istio_request_bytes_bucket{${shown},le="10"} 3`));
    assert.ok(lines.includes(`istio_response_bytes_bucket{${shown},le="1000"} 2`));
    assert.ok(lines.includes(`istio_response_bytes_sum{${shown}} 5121`));
    assert.equal(lines.filter((l) => l.startsWith('# TYPE')).length, 4, 'only the four Istio metrics');
  });

  it('exposition: label values are escaped as the text format wants (quote, backslash, newline)', () => {
    const fold = new ReportFold({ maxSeries: 10, dedupeWindowMs: 60_000, maxReportIds: 10 });
    fold.add(buildTelemetryReport({ id: 'a', startMs: NOW - 1000, endMs: NOW, requests: [{ labels: { ...labels, source_workload: 'a"b\\c\nd' }, durationMs: 1 }] }), NOW);
    const line = new IstioExposition(fold.series).text().split('\n').find((l) => l.startsWith('istio_requests_total{'));
    assert.match(line ?? '', /,source_workload="a\\"b\\\\c\\nd",/);
  });

  it('read: bytes that are not JSON, and JSON the strict codec refuses, are told apart with the reason', () => {
    const truncated = readReport('{"id":');
    assert.ok(!truncated.ok && truncated.reason === 'not_json' && truncated.detail !== '', JSON.stringify(truncated));
    const invalid = readReport(JSON.stringify({ id: 'x' }));
    assert.equal(invalid.ok, false);
    assert.ok(!invalid.ok && invalid.reason === 'invalid' && /reporter: required/.test(invalid.detail), JSON.stringify(invalid));
    const good = buildTelemetryReport({ id: 'g', startMs: NOW, requests: [{ durationMs: 1 }] });
    assert.deepEqual(readReport(new TextEncoder().encode(JSON.stringify(good))), { ok: true, report: good });
  });

  it('read: format 2 (what proxies send) and format 1 (proxies before it) read to the same report; another format is refused as unsupported_format, naming it', () => {
    const good = buildTelemetryReport({ id: 'g', startMs: NOW, requests: [{ labels, durationMs: 3, responseBytes: 10 }, { durationMs: 1 }] });
    assert.deepEqual(readReport(encodeCompactTelemetryReport(good)), { ok: true, report: good });
    assert.deepEqual(readReport(JSON.stringify(good)), { ok: true, report: good });
    const newer = readReport(JSON.stringify({ ...JSON.parse(encodeCompactTelemetryReport(good)), format: 3 }));
    assert.ok(!newer.ok && newer.reason === 'unsupported_format' && /format 3: this replica reads format 1 .* and format 2/.test(newer.detail), JSON.stringify(newer));
    const broken = readReport(JSON.stringify({ ...JSON.parse(encodeCompactTelemetryReport(good)), labelValues: [] }));
    assert.ok(!broken.ok && broken.reason === 'invalid' && /series\[0\]\[0\]/.test(broken.detail), JSON.stringify(broken));
  });
});
