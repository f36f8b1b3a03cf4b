import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '@jetmesh/log';
import { createAccessLog } from '../src/telemetry/access-log.js';
import { createProxyStats } from '../src/telemetry/proxy-stats.js';
import { sourceRecord } from './telemetry-fixtures.js';

const lineOf = (text: string, name: string, labels: Record<string, string>): string | undefined =>
  text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));

describe('telemetry.stats', () => {
  it('/stats text: istio_requests_total and the duration histogram carry the series, with the reporter and Istio buckets', async () => {
    const registry = new Registry();
    const stats = createProxyStats(registry, () => 2);
    for (let i = 0; i < 3; i++) stats.observe(sourceRecord({ durationMs: 7 }));
    stats.observe(sourceRecord({ reporter: 'destination', responseCode: 503, responseFlags: ['UH'], mtls: true, durationMs: 700 }));
    const text = await registry.metrics();
    const ok = lineOf(text, 'istio_requests_total', { reporter: 'source', response_code: '200', source_workload: 'productpage-v1', destination_workload: 'reviews-v2', destination_service: 'reviews.default.svc.cluster.local', connection_security_policy: 'unknown' });
    assert.ok(ok?.endsWith(' 3'), ok);
    const failed = lineOf(text, 'istio_requests_total', { reporter: 'destination', response_code: '503', response_flags: 'UH', connection_security_policy: 'mutual_tls' });
    assert.ok(failed?.endsWith(' 1'), failed);
    const le10 = lineOf(text, 'istio_request_duration_milliseconds_bucket', { reporter: 'source', le: '10' });
    const le5 = lineOf(text, 'istio_request_duration_milliseconds_bucket', { reporter: 'source', le: '5' });
    assert.ok(le10?.endsWith(' 3') && le5?.endsWith(' 0'), `${le5}\n${le10}`);
    assert.ok(lineOf(text, 'istio_request_duration_milliseconds_bucket', { le: '3600000' }) !== undefined, "Istio's last bucket");
    assert.ok(lineOf(text, 'istio_response_bytes_bucket', { reporter: 'source', le: '1000' })?.endsWith(' 3'));
    assert.match(text, /^istio_request_duration_milliseconds_sum\{[^}]*reporter="source"[^}]*\} 21$/m);
  });

  it('/stats text: jetmesh_proxy_* counters the data plane feeds', async () => {
    const registry = new Registry();
    const stats = createProxyStats(registry, () => 2);
    stats.snapshotApplied('host');
    stats.snapshotApplied('host');
    stats.snapshotRefused('workload', 'invalid');
    stats.upstreamConnected();
    stats.upstreamConnectFailed();
    stats.ejected('outbound|9080|v1|reviews.default.svc.cluster.local');
    stats.reportsDropped.inc(4);
    const text = await registry.metrics();
    assert.match(text, /^jetmesh_proxy_snapshots_total\{kind="host",result="applied"\} 2$/m);
    assert.match(text, /^jetmesh_proxy_snapshots_total\{kind="workload",result="invalid"\} 1$/m);
    assert.match(text, /^jetmesh_proxy_upstream_connections_total\{result="failed"\} 1$/m);
    assert.match(text, /^jetmesh_proxy_outlier_ejections_total\{cluster="outbound\|9080\|v1\|reviews.default.svc.cluster.local"\} 1$/m);
    assert.match(text, /^jetmesh_proxy_upstream_sessions 2$/m);
    assert.match(text, /^jetmesh_proxy_telemetry_reports_dropped_total 4$/m);
  });
});

describe('telemetry.access-log', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
    return { lines, log: createLogger('proxy', 'info', sink) };
  };

  it('one JSON line per request with Envoy field names, workloads and mTLS', () => {
    const { lines, log } = capture();
    const access = createAccessLog({ log });
    access.write(sourceRecord({ responseCode: 503, responseFlags: ['UF', 'URX'], upstreamHost: '10.0.0.7:15006', upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local', userAgent: 'curl/8', requestId: 'rid-1', forwardedFor: '10.1.1.1' }));
    assert.equal(lines.length, 1);
    const l = lines[0]!;
    assert.equal(l.msg, 'access');
    assert.equal(l.start_time, '2025-01-01T00:00:00.000Z');
    assert.equal(l.response_code, 503);
    assert.equal(l.response_flags, 'UF,URX');
    assert.equal(l.bytes_sent, 120);
    assert.equal(l.upstream_host, '10.0.0.7:15006');
    assert.equal(l.upstream_cluster, 'outbound|9080||reviews.default.svc.cluster.local');
    assert.equal(l.route_name, '-');
    assert.equal(l.x_forwarded_for, '10.1.1.1');
    assert.equal(l.request_id, 'rid-1');
    assert.equal(l.source_workload, 'productpage-v1');
    assert.equal(l.destination_workload, 'reviews-v2');
    assert.equal(l.mtls, true);
  });

  it('every request is logged by default; disabled logs none; a sample rate logs that fraction', () => {
    const all = capture();
    const off = capture();
    const half = capture();
    const a = createAccessLog({ log: all.log });
    const b = createAccessLog({ log: off.log, enabled: false });
    let n = 0;
    const c = createAccessLog({ log: half.log, sampleRate: 0.5, random: () => (n++ % 2 === 0 ? 0.25 : 0.75) });
    for (let i = 0; i < 10; i++) [a, b, c].forEach((x) => x.write(sourceRecord()));
    assert.deepEqual([all.lines.length, off.lines.length, half.lines.length], [10, 0, 5]);
  });
});
