import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, decodeTelemetryReport, decodeTelemetryReportWire, encodeCompactTelemetryReport, type IstioRequestLabels } from '@jetmesh/model';
import { ReportAggregator } from '../src/telemetry/report-aggregator.js';
import { recordLabels } from '../src/telemetry/request-record.js';
import { requestRecordOf } from '../src/telemetry/served-record.js';
import type { ServedRequest } from '../src/dataplane/served-request.js';

const labels = (over: Partial<IstioRequestLabels> = {}): IstioRequestLabels =>
  ({ ...Object.fromEntries(ISTIO_REQUEST_LABELS.map((l) => [l, 'unknown'])), reporter: 'source', response_code: '200', ...over }) as IstioRequestLabels;

const self = { name: 'productpage-v1-1', namespace: 'default', spiffeId: 'spiffe://cluster.local/ns/default/sa/productpage', labels: { app: 'productpage', version: 'v1' }, domainSuffix: 'cluster.local' };

describe('telemetry.report', () => {
  it('aggregates requests per label set with Istio buckets, then starts a new window', () => {
    const agg = new ReportAggregator({ namespace: 'default', name: 'pp' }, 10, 0);
    for (const ms of [0.3, 4, 4, 700]) agg.add({ labels: labels(), durationMs: ms, requestBytes: 0, responseBytes: 1500 });
    agg.add({ labels: labels({ response_code: '503' }), durationMs: 1, requestBytes: 10, responseBytes: 20 });
    const report = agg.flush(1_000, 'r1');
    assert.ok(report !== undefined);
    assert.equal(report.window.start, new Date(0).toISOString());
    assert.equal(report.series.length, 2);
    const ok = report.series.find((s) => s.labels.response_code === '200');
    assert.equal(ok?.requests, 4);
    const bucket = (ms: number) => ISTIO_DURATION_BUCKETS_MS.findIndex((b) => ms <= b);
    assert.equal(ok?.durationMs.counts[bucket(0.3)], 1);
    assert.equal(ok?.durationMs.counts[bucket(4)], 2);
    assert.equal(ok?.durationMs.counts[bucket(700)], 1);
    assert.equal(ok?.durationMs.sum, 708.3);
    assert.equal(ok?.responseBytes.counts[ISTIO_BYTE_BUCKETS.findIndex((b) => 1500 <= b)], 4);
    assert.equal(agg.flush(2_000, 'r2'), undefined, 'an empty window sends nothing');
  });

  it('counts requests past the series cap as overflow instead of growing', () => {
    const agg = new ReportAggregator({ namespace: 'default', name: 'pp' }, 3, 0);
    for (let i = 0; i < 10; i++) agg.add({ labels: labels({ destination_workload: `w${i}` }), durationMs: 1, requestBytes: 0, responseBytes: 0 });
    const report = agg.flush(1, 'r');
    assert.equal(report?.series.length, 3);
    assert.equal(report?.overflowRequests, 7);
  });

  it('every aggregated report, as the publisher encodes it, decodes with the shared codec to itself and keeps the request count (property)', () => {
    const sample = fc.record({ code: fc.constantFrom('200', '404', '503'), ms: fc.double({ min: 0, max: 1e6, noNaN: true }), req: fc.nat(), res: fc.nat() });
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 60 }), (samples) => {
        const agg = new ReportAggregator({ namespace: 'default', name: 'pp' }, 100, 0);
        for (const s of samples) agg.add({ labels: labels({ response_code: s.code }), durationMs: s.ms, requestBytes: s.req, responseBytes: s.res });
        const report = agg.flush(1_000, 'id');
        const decoded = decodeTelemetryReportWire(JSON.parse(encodeCompactTelemetryReport(report!)));
        assert.ok(decoded._tag === 'Right');
        assert.deepEqual(decoded.right, report);
        assert.equal(decoded.right.series.reduce((n, s) => n + s.requests, 0), samples.length);
        for (const s of decoded.right.series) assert.equal(s.durationMs.counts.reduce((a, b) => a + b, 0), s.requests);
      }),
    );
  });

  it('refuses a malformed report, naming the path', () => {
    const bad = decodeTelemetryReport({ id: '', reporter: 'x', workload: { namespace: 'd', name: 'n' }, window: { start: 'a', end: 'b' }, series: [], overflowRequests: -1 });
    assert.ok(bad._tag === 'Left');
    const paths = bad.left.map((e) => e.path).sort();
    assert.deepEqual(paths, ['id', 'overflowRequests', 'reporter', 'window.end', 'window.start']);
  });

  it('labels: the client proxy names the destination from the endpoint it picked, the server proxy the caller from its certificate', () => {
    const outbound: ServedRequest = {
      direction: 'outbound', started: 0, durationMs: 3, method: 'GET', path: '/', authority: 'reviews:9080', protocol: 'http1', status: 200, flags: [], requestBytes: 0, responseBytes: 10, mtls: true,
      service: 'reviews.default.svc.cluster.local',
      destinationEndpoint: { address: '127.0.0.1', port: 9080, labels: { app: 'reviews', version: 'v2' }, workload: 'registry default/reviews-v2-7', serviceAccount: 'reviews' },
    };
    const src = recordLabels(requestRecordOf(outbound, self, 1_000));
    assert.equal(src.reporter, 'source');
    assert.equal(src.destination_workload, 'reviews-v2-7');
    assert.equal(src.destination_principal, 'spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(src.destination_service_name, 'reviews');
    assert.equal(src.source_canonical_service, 'productpage');
    const inbound: ServedRequest = { ...outbound, direction: 'inbound', protocol: 'grpc', grpcStatus: 5, peerSpiffeId: 'spiffe://cluster.local/ns/default/sa/gw', peer: { workload: 'gw-1', namespace: 'default' } };
    delete (inbound as { destinationEndpoint?: unknown }).destinationEndpoint;
    const dst = recordLabels(requestRecordOf(inbound, self, 1_000));
    assert.equal(dst.reporter, 'destination');
    assert.equal(dst.source_workload, 'gw-1');
    assert.equal(dst.source_app, 'unknown');
    assert.equal(dst.request_protocol, 'grpc');
    assert.equal(dst.grpc_response_status, '5');
    assert.equal(dst.connection_security_policy, 'mutual_tls');
  });
});
