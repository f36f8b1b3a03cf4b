import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, Subjects, type Bus } from '@jetmesh/bus';
import type { TraceSpanBatch } from '@jetmesh/model';
import { eventually, startNatsServer, startOtlpReceiver, type NatsServerHandle } from '@jetmesh/testing';
import { log, startReplica } from './telemetry-harness.js';

const batch = (...spanIds: string[]): TraceSpanBatch => ({
  workload: { namespace: 'default', name: 'reviews-v2' },
  spans: spanIds.map((spanId) => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId,
    parentSpanId: 'b7ad6b7169203331',
    name: 'reviews.default.svc.cluster.local:9080/*',
    kind: 'server',
    startNanos: '1700000000123456789',
    endNanos: '1700000000125456789',
    status: 'unset',
    attributes: { 'http.method': 'GET', 'http.status_code': 200, 'istio.canonical_service': 'reviews', 'istio.namespace': 'default' },
    source: { workload: 'productpage-v1', namespace: 'default' },
    destination: { workload: 'reviews-v2', namespace: 'default' },
  })),
  dropped: 0,
});

describe('telemetry trace export over nats-server', () => {
  let nats: NatsServerHandle;
  let proxy: Bus;
  before(async () => {
    nats = await startNatsServer();
    proxy = await connectBus(nats.url, log, { name: 'a proxy' });
  });
  after(async () => {
    await proxy?.close();
    await nats?.dispose();
  });

  it('a published span batch arrives at the OTLP receiver with its trace id, parent, name, kind, attributes and service; a bad batch is counted', async () => {
    const receiver = await startOtlpReceiver();
    const replica = await startReplica(nats.url, 'tracing', { otlpUrl: receiver.url, otlpIntervalMs: 100 });
    try {
      proxy.nc.publish(Subjects.spans('default', 'reviews-v2'), 'not json');
      proxy.nc.publish(Subjects.spans('default', 'reviews-v2'), JSON.stringify(batch('00f067aa0ba902b7')));
      await proxy.nc.flush();
      await eventually(async () => (receiver.received.length > 0 ? true : undefined), 'the span at the receiver');
      const [got] = receiver.received;
      assert.equal(got?.service, 'reviews.default');
      const span = got?.spans[0];
      assert.deepEqual([span?.traceId, span?.spanId, span?.parentSpanId, span?.name, span?.kind], ['0af7651916cd43dd8448eb211c80319c', '00f067aa0ba902b7', 'b7ad6b7169203331', 'reviews.default.svc.cluster.local:9080/*', 2]);
      assert.deepEqual(span?.attributes.find((a) => a.key === 'http.method')?.value, { stringValue: 'GET' });
      await eventually(async () => ((await replica.own('jetmesh_telemetry_spans_exported_total')) === 1 ? true : undefined), 'exported counted');
      assert.equal(await replica.own('jetmesh_telemetry_spans_received_total'), 1);
      assert.equal(await replica.own('jetmesh_telemetry_span_batches_rejected_total', { reason: 'not_json' }), 1);
    } finally {
      await replica.stop();
      await receiver.close();
    }
  });

  it('with the receiver down the export failure is counted and the service keeps consuming', async () => {
    const receiver = await startOtlpReceiver();
    await receiver.close();
    const replica = await startReplica(nats.url, 'tracing-down', { otlpUrl: receiver.url, otlpIntervalMs: 100, otlpTimeoutMs: 500 });
    try {
      proxy.nc.publish(Subjects.spans('default', 'reviews-v2'), JSON.stringify(batch('00f067aa0ba902b8')));
      await proxy.nc.flush();
      await eventually(async () => ((await replica.own('jetmesh_telemetry_spans_export_failures_total', { reason: 'export' })) === 1 ? true : undefined), 'the failure counted');
      proxy.nc.publish(Subjects.spans('default', 'reviews-v2'), JSON.stringify(batch('00f067aa0ba902b9')));
      await proxy.nc.flush();
      await eventually(async () => ((await replica.own('jetmesh_telemetry_spans_received_total')) === 2 ? true : undefined), 'still consuming');
      assert.deepEqual(replica.telemetry.readiness(), { ready: true });
    } finally {
      await replica.stop();
    }
  });

  it('a collector that hangs: the bounded queue (JETMESH_TELEMETRY_OTLP_MAX_QUEUE) keeps what fits, drops the rest counted as queue_full, and sends what it kept once the collector answers', async () => {
    const receiver = await startOtlpReceiver();
    // A long timeout: the held exports stay in flight for the whole test instead of failing.
    const replica = await startReplica(nats.url, 'tracing-slow', { otlpUrl: receiver.url, otlpIntervalMs: 50, otlpTimeoutMs: 60_000, otlpMaxQueued: 3 });
    const own = (metric: string, labels?: Record<string, string>): Promise<number> => replica.own(metric, labels);
    const id = (i: number): string => (0x1000 + i).toString(16).padStart(16, '0');
    try {
      receiver.hold();
      // Four exports of one span each fill the exporter's four in-flight requests, all left unanswered.
      for (let i = 0; i < 4; i++) {
        proxy.nc.publish(Subjects.spans('default', 'reviews-v2'), JSON.stringify(batch(id(i))));
        await eventually(async () => (receiver.requests() === i + 1 ? true : undefined), `export ${i + 1} held at the collector`);
      }
      // Nothing can go out now: of ten more spans the queue keeps three and drops seven.
      proxy.nc.publish(Subjects.spans('default', 'reviews-v2'), JSON.stringify(batch(...Array.from({ length: 10 }, (_, i) => id(10 + i)))));
      await proxy.nc.flush();
      await eventually(async () => ((await own('jetmesh_telemetry_spans_export_failures_total', { reason: 'queue_full' })) === 7 ? true : undefined), 'seven spans dropped as queue_full');
      assert.equal(await own('jetmesh_telemetry_spans_received_total'), 14);
      assert.equal(await own('jetmesh_telemetry_spans_exported_total'), 0, 'the collector has confirmed nothing yet');
      assert.equal(await own('jetmesh_telemetry_spans_export_failures_total', { reason: 'export' }), 0);
      assert.equal(receiver.requests(), 4, 'no request beyond the four in flight');

      receiver.release();
      await eventually(async () => ((await own('jetmesh_telemetry_spans_exported_total')) === 7 ? true : undefined), 'the four held and the three queued exported');
      assert.deepEqual(receiver.spans().map((s) => s.spanId).sort(), [0, 1, 2, 3, 10, 11, 12].map(id), 'the first spans that fit were kept, the later ones dropped');
      assert.equal(await own('jetmesh_telemetry_spans_export_failures_total', { reason: 'queue_full' }), 7);
      assert.deepEqual(replica.telemetry.readiness(), { ready: true });
    } finally {
      await replica.stop();
      await receiver.close();
    }
  });
});
