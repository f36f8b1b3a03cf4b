import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ISTIO_DURATION_BUCKETS_MS, decodeTelemetryReport } from '@jetmesh/model';
import { ReportAggregator } from '../src/telemetry/report-aggregator.js';
import { recordLabels } from '../src/telemetry/request-record.js';
import { sourceRecord } from './telemetry-fixtures.js';

describe('telemetry.record', () => {
  it('labels: Istio names, unknown for what the reporter does not know, canonical service from app, security policy only from the destination', () => {
    const l = recordLabels(sourceRecord({ source: { workload: 'gw-1' }, responseFlags: ['UH', 'URX'], grpcStatus: undefined }));
    assert.equal(l.reporter, 'source');
    assert.equal(l.source_workload, 'gw-1');
    assert.equal(l.source_workload_namespace, 'unknown');
    assert.equal(l.source_principal, 'unknown');
    assert.equal(l.source_canonical_service, 'gw-1', 'no app label: the workload name, as Istio');
    assert.equal(l.destination_canonical_service, 'reviews');
    assert.equal(l.destination_service, 'reviews.default.svc.cluster.local');
    assert.equal(l.response_flags, 'UH,URX');
    assert.equal(l.grpc_response_status, 'unknown');
    assert.equal(l.connection_security_policy, 'unknown');
    const d = recordLabels(sourceRecord({ reporter: 'destination', protocol: 'grpc', grpcStatus: 14, responseFlags: '' }));
    assert.equal(d.connection_security_policy, 'mutual_tls');
    assert.equal(d.request_protocol, 'grpc');
    assert.equal(d.grpc_response_status, '14');
    assert.equal(d.response_flags, '-');
    assert.equal(recordLabels(sourceRecord({ reporter: 'destination', mtls: false })).connection_security_policy, 'none');
  });

  it('aggregator: 10 records → 2 series, counts, sums and bucket placement by the numbers; ids from the injected generator', () => {
    let n = 0;
    const agg = new ReportAggregator({ namespace: 'default', name: 'productpage-v1' }, 100, 5_000, { newId: () => `pp-${++n}` });
    for (const ms of [0.5, 1, 1, 7, 7, 7, 250]) agg.addRecord(sourceRecord({ durationMs: ms, requestBytes: 10, responseBytes: 1000 }));
    for (let i = 0; i < 3; i++) agg.addRecord(sourceRecord({ responseCode: 503, responseFlags: 'UF', durationMs: 40_000, responseBytes: 19 }));
    assert.equal(agg.pending, 10);
    const r = agg.flush(6_000);
    assert.ok(r !== undefined);
    assert.equal(r.id, 'pp-1');
    assert.equal(r.reporter, 'source');
    assert.deepEqual(r.window, { start: '1970-01-01T00:00:05.000Z', end: '1970-01-01T00:00:06.000Z' });
    const ok = r.series.find((s) => s.labels.response_code === '200')!;
    const failed = r.series.find((s) => s.labels.response_code === '503')!;
    assert.equal(ok.requests, 7);
    assert.equal(failed.requests, 3);
    assert.equal(failed.labels.response_flags, 'UF');
    // le semantics: 0.5 → bucket 0.5, 1 → bucket 1, 7 → bucket 10, 250 → bucket 250, 40000 → bucket 60000
    const at = (b: number) => ISTIO_DURATION_BUCKETS_MS.indexOf(b as (typeof ISTIO_DURATION_BUCKETS_MS)[number]);
    assert.deepEqual([ok.durationMs.counts[at(0.5)], ok.durationMs.counts[at(1)], ok.durationMs.counts[at(10)], ok.durationMs.counts[at(250)]], [1, 2, 3, 1]);
    assert.equal(failed.durationMs.counts[at(60000)], 3);
    assert.equal(ok.durationMs.sum, 0.5 + 1 + 1 + 21 + 250);
    assert.equal(ok.requestBytes.sum, 70);
    assert.equal(ok.requestBytes.counts[1], 7, '10 bytes are in the le=10 bucket');
    assert.equal(failed.responseBytes.counts[2], 3, '19 bytes are in the le=100 bucket');
    assert.equal(agg.pending, 0);
    assert.equal(agg.flush(7_000), undefined, 'an empty window is not reported and uses no id');
    agg.addRecord(sourceRecord({ durationMs: 3_600_001 }));
    const next = agg.flush(8_000)!;
    assert.equal(next.id, 'pp-2');
    assert.equal(next.window.start, '1970-01-01T00:00:07.000Z');
    assert.equal(next.series[0]!.durationMs.counts[ISTIO_DURATION_BUCKETS_MS.length], 1, 'past the last bound: +Inf');
  });

  it('aggregator: a bad measurement (NaN, negative) counts as 0 and a clock stepped back still gives a decodable window', () => {
    const agg = new ReportAggregator({ namespace: 'default', name: 'pp' }, 10, 10_000, { newId: () => 'x' });
    agg.addRecord(sourceRecord({ durationMs: Number.NaN, requestBytes: -5, responseBytes: Number.POSITIVE_INFINITY }));
    const r = agg.flush(9_000);
    const decoded = decodeTelemetryReport(JSON.parse(JSON.stringify(r)));
    assert.ok(decoded._tag === 'Right', JSON.stringify(decoded));
    assert.equal(decoded.right.window.start, decoded.right.window.end);
    assert.equal(decoded.right.series[0]!.durationMs.sum, 0);
    assert.equal(decoded.right.series[0]!.durationMs.counts[0], 1);
  });

  it('aggregator: both reporters in one window are one report marked both, each series keeping its reporter label', () => {
    const agg = new ReportAggregator({ namespace: 'default', name: 'pp' }, 10, 0, { newId: () => 'x' });
    agg.addRecord(sourceRecord());
    agg.addRecord(sourceRecord({ reporter: 'destination' }));
    const r = agg.flush(1_000)!;
    assert.equal(r.reporter, 'both');
    assert.deepEqual(r.series.map((s) => s.labels.reporter).sort(), ['destination', 'source']);
  });
});
