import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, Subjects, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { decodeAccessLogBatch, type AccessLogBatch } from '@jetmesh/model';
import { eventually, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { accessLogLine } from '../src/telemetry/access-log.js';
import { startAccessLogPublisher, type AccessLogCounters, type AccessLogDropReason } from '../src/telemetry/access-log-publisher.js';
import { sourceRecord } from './telemetry-fixtures.js';

const log = createLogger('access-log-test', 'silent');
const WORKLOAD = { namespace: 'default', name: 'productpage-v1' };

interface Received {
  readonly batches: AccessLogBatch[];
  readonly sizes: number[];
  readonly malformed: number;
}

const listen = (bus: Bus): Received => {
  const got = { batches: [] as AccessLogBatch[], sizes: [] as number[], malformed: 0 };
  bus.nc.subscribe(Subjects.accessLog(WORKLOAD.namespace, WORKLOAD.name), {
    callback: (_err, msg) => {
      got.sizes.push(msg.data.length);
      const decoded = decodeAccessLogBatch(msg.json());
      if (decoded._tag === 'Right') got.batches.push(decoded.right);
      else got.malformed += 1;
    },
  });
  return got;
};

const counting = (): AccessLogCounters & { published: number; dropped: Record<AccessLogDropReason, number> } => {
  const c = {
    published: 0,
    dropped: { buffer_full: 0, nats_unavailable: 0 },
    accessLogPublished: (n: number) => void (c.published += n),
    accessLogDropped: (reason: AccessLogDropReason, n: number) => void (c.dropped[reason] += n),
  };
  return c;
};

const paths = (got: Received): string[] => got.batches.flatMap((b) => b.records.map((r) => r.path));

describe('telemetry.access-log-publisher', () => {
  let nats: NatsServerHandle;
  const cleanups: (() => Promise<void> | void)[] = [];
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await nats.dispose();
  });

  const buses = async (): Promise<{ bus: Bus; got: Received }> => {
    const bus = await connectBus(nats.url, log);
    const sub = await connectBus(nats.url, log);
    cleanups.push(() => bus.close(), () => sub.close());
    const got = listen(sub);
    await sub.nc.flush();
    return { bus, got };
  };

  it('publish: a subscriber on mesh.accesslog.<ns>.<workload> gets each request as the line the proxy logs, both reporters, in order', async () => {
    const { bus, got } = await buses();
    const counters = counting();
    const pub = startAccessLogPublisher({ workload: WORKLOAD, log, bus, intervalMs: 60_000, counters });
    cleanups.push(() => pub.stop());
    const records = [
      sourceRecord({ path: '/reviews/0', requestId: 'rid-0', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }),
      sourceRecord({ path: '/reviews/1', responseCode: 503, responseFlags: ['UF', 'URX'] }),
      sourceRecord({ reporter: 'destination', path: '/reviews/2' }),
    ];
    for (const r of records) pub.add(r);
    assert.equal(pub.buffered(), 3);
    await pub.tick();
    await eventually(async () => (paths(got).length >= 3 ? true : undefined), 'the batch');
    assert.equal(got.malformed, 0);
    assert.equal(got.batches.length, 1, 'one message for the interval');
    assert.deepEqual(got.batches[0], { workload: WORKLOAD, dropped: 0, records: records.map(accessLogLine) });
    assert.deepEqual(got.batches[0]!.records.map((r) => `${r.reporter} ${r.response_code} ${r.response_flags}`), ['source 200 -', 'source 503 UF,URX', 'destination 200 -']);
    assert.equal(pub.buffered(), 0);
    assert.equal(counters.published, 3);
    await pub.tick();
    await bus.nc.flush();
    assert.equal(got.batches.length, 1, 'an idle interval sends nothing');
  });

  it('batching: 500 records in one interval go out in messages under the size cap, every record once and in order', async () => {
    const { bus, got } = await buses();
    const maxBatchBytes = 4 * 1024;
    const pub = startAccessLogPublisher({ workload: WORKLOAD, log, bus, intervalMs: 60_000, maxBatchBytes });
    cleanups.push(() => pub.stop());
    for (let i = 0; i < 500; i++) pub.add(sourceRecord({ path: `/item/${i}` }));
    await pub.tick();
    await eventually(async () => (paths(got).length >= 500 ? true : undefined), 'every record');
    assert.deepEqual(paths(got), Array.from({ length: 500 }, (_, i) => `/item/${i}`));
    assert.ok(got.batches.length > 1, `${got.batches.length} messages`);
    // The cap counts the records; the envelope adds its few dozen bytes.
    for (const size of got.sizes) assert.ok(size <= maxBatchBytes + 200, `a message of ${size} bytes`);
    assert.equal(got.malformed, 0);
  });

  it('drop bound: past maxBuffered a record is dropped at once (counted), the buffer never grows, and the next batch tells how many', async () => {
    const { bus, got } = await buses();
    const counters = counting();
    const pub = startAccessLogPublisher({ workload: WORKLOAD, log, bus, intervalMs: 60_000, maxBuffered: 10, counters });
    cleanups.push(() => pub.stop());
    const burst = Array.from({ length: 100_000 }, (_, i) => sourceRecord({ path: `/burst/${i}` }));
    const started = performance.now();
    for (const r of burst) pub.add(r);
    const perAddUs = ((performance.now() - started) * 1000) / 100_000;
    assert.equal(pub.buffered(), 10);
    assert.equal(pub.dropped(), 99_990);
    assert.equal(counters.dropped.buffer_full, 99_990);
    await pub.tick();
    await eventually(async () => (got.batches.length >= 1 ? true : undefined), 'the batch');
    assert.equal(got.batches[0]!.dropped, 99_990);
    assert.deepEqual(got.batches[0]!.records.map((r) => r.path), Array.from({ length: 10 }, (_, i) => `/burst/${i}`), 'the first ten are kept');
    // A request pays an array push or a counter: far below what a request costs anyway.
    assert.ok(perAddUs < 50, `${perAddUs.toFixed(2)} µs per add`);
    pub.add(sourceRecord({ path: '/after' }));
    await pub.tick();
    await eventually(async () => (got.batches.length >= 2 ? true : undefined), 'the next batch');
    assert.equal(got.batches[1]!.dropped, 0, 'a drop is told once');
  });

  it('nats away: records are dropped, not held (a live tail, not a log), and counted; the first message after the reconnect tells how many', async () => {
    const counters = counting();
    const bus = await connectBus(nats.url, log);
    cleanups.push(() => bus.close());
    const pub = startAccessLogPublisher({ workload: WORKLOAD, log, bus, intervalMs: 60_000, confirmTimeoutMs: 500, counters });
    cleanups.push(() => pub.stop());
    await nats.stop();
    await eventually(async () => (bus.isConnected() ? undefined : true), 'the client to notice the server is gone');
    for (let i = 0; i < 7; i++) pub.add(sourceRecord({ path: `/lost/${i}` }));
    await pub.tick();
    assert.equal(pub.buffered(), 0, 'nothing is held while NATS is away');
    assert.equal(counters.dropped.nats_unavailable, 7);

    await nats.restart();
    const sub = await connectBus(nats.url, log);
    cleanups.push(() => sub.close());
    const got = listen(sub);
    await sub.nc.flush();
    await eventually(async () => (bus.isConnected() ? true : undefined), 'the publisher to reconnect', 15_000);
    pub.add(sourceRecord({ path: '/back' }));
    // A tick while the reconnect's own send (the count alone) is in flight joins that send, so tick until /back went out.
    await eventually(async () => {
      await pub.tick();
      return paths(got).length >= 1 ? true : undefined;
    }, 'the record after the reconnect');
    // The reconnect itself may send the count alone, before the next record.
    assert.equal(got.batches.reduce((n, b) => n + b.dropped, 0), 7);
    assert.equal(got.batches[0]!.dropped, 7);
    assert.deepEqual(paths(got), ['/back']);
  });

  it('attach later: before a bus is attached records are dropped as nats_unavailable; after it they flow', async () => {
    const counters = counting();
    const pub = startAccessLogPublisher({ workload: WORKLOAD, log, intervalMs: 60_000, counters });
    cleanups.push(() => pub.stop());
    pub.add(sourceRecord());
    await pub.tick();
    assert.equal(counters.dropped.nats_unavailable, 1);
    const { bus, got } = await buses();
    pub.attach(bus);
    pub.add(sourceRecord({ path: '/attached' }));
    await pub.tick();
    await eventually(async () => (got.batches.length >= 1 ? true : undefined), 'the batch');
    assert.deepEqual(got.batches[0]!.records.map((r) => r.path), ['/attached']);
    assert.equal(got.batches[0]!.dropped, 1);
  });
});
