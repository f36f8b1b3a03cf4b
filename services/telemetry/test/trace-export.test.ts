import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, Subjects, type Bus } from '@jetmesh/bus';
import type { TraceSpanBatch } from '@jetmesh/model';
import { eventually, startNatsServer, startOtlpReceiver, type NatsServerHandle } from '@jetmesh/testing';
import { log, startReplica } from './telemetry-harness.js';

const batch = (spanId: string): TraceSpanBatch => ({
  workload: { namespace: 'default', name: 'reviews-v2' },
  spans: [
    {
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
    },
  ],
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
});
