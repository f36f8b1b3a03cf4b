import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, Subjects, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { decodeTelemetryReportWire, type TelemetryReport } from '@jetmesh/model';
import { eventually, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { ReportAggregator } from '../src/telemetry/report-aggregator.js';
import { startReportPublisher, type ReportPublisher } from '../src/telemetry/report-publisher.js';
import { sourceRecord } from './telemetry-fixtures.js';

const log = createLogger('telemetry-test', 'silent');
const WORKLOAD = { namespace: 'default', name: 'productpage-v1' };

interface Received {
  readonly reports: TelemetryReport[];
  readonly malformed: number;
  /** Requests in the distinct reports (duplicates by id counted once, as the telemetry service does). */
  requests(): number;
}

const listen = (bus: Bus): Received => {
  const reports: TelemetryReport[] = [];
  let malformed = 0;
  bus.nc.subscribe(Subjects.telemetry(WORKLOAD.namespace, WORKLOAD.name), {
    callback: (_err, msg) => {
      const decoded = decodeTelemetryReportWire(msg.json());
      if (decoded._tag === 'Right') reports.push(decoded.right);
      else malformed += 1;
    },
  });
  return {
    reports,
    get malformed() {
      return malformed;
    },
    requests: () => [...new Map(reports.map((r) => [r.id, r])).values()].reduce((n, r) => n + r.series.reduce((m, s) => m + s.requests, 0), 0),
  };
};

describe('telemetry.publisher', () => {
  let nats: NatsServerHandle;
  const cleanups: (() => Promise<void> | void)[] = [];
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await nats.dispose();
  });

  const published = { n: 0 };
  const dropped = { n: 0 };
  const counters = { reportsPublished: { inc: (k = 1) => void (published.n += k) }, reportsDropped: { inc: (k = 1) => void (dropped.n += k) } };

  it('publish: a subscriber on mesh.telemetry.<ns>.<workload> receives the decoded window, and nothing for an idle one', async () => {
    const bus = await connectBus(nats.url, log);
    const sub = await connectBus(nats.url, log);
    cleanups.push(() => bus.close(), () => sub.close());
    const got = listen(sub);
    await sub.nc.flush();
    let id = 0;
    const agg = new ReportAggregator(WORKLOAD, 100, Date.now(), { newId: () => `r-${++id}` });
    const pub = startReportPublisher({ workload: WORKLOAD, aggregator: agg, log, bus, intervalMs: 60_000, counters });
    cleanups.push(() => pub.stop());
    for (let i = 0; i < 5; i++) agg.addRecord(sourceRecord());
    agg.addRecord(sourceRecord({ responseCode: 404 }));
    await pub.tick();
    await pub.tick();
    await eventually(async () => (got.reports.length >= 1 ? true : undefined), 'the report');
    await sub.nc.flush();
    assert.equal(got.reports.length, 1, 'an idle window sends nothing');
    const [r] = got.reports;
    assert.equal(r!.id, 'r-1');
    assert.deepEqual(r!.workload, WORKLOAD);
    assert.deepEqual(r!.series.map((s) => [s.labels.response_code, s.requests]).sort(), [['200', 5], ['404', 1]]);
    assert.equal(got.malformed, 0);
    assert.equal(pub.backlog(), 0);
  });

  it('nats down then up: windows closed meanwhile are held (bounded) and arrive in order once NATS is back; every request counted once', async () => {
    published.n = 0;
    dropped.n = 0;
    const bus = await connectBus(nats.url, log);
    cleanups.push(() => bus.close());
    let id = 0;
    let clock = Date.UTC(2025, 0, 1);
    const agg = new ReportAggregator(WORKLOAD, 100, clock, { newId: () => `w-${++id}` });
    const pub = startReportPublisher({ workload: WORKLOAD, aggregator: agg, log, bus, intervalMs: 60_000, maxBacklog: 3, confirmTimeoutMs: 500, now: () => clock, counters });
    cleanups.push(() => pub.stop());

    await nats.stop();
    await eventually(async () => (bus.isConnected() ? undefined : true), 'the client to notice the server is gone');
    for (let w = 1; w <= 5; w++) {
      for (let i = 0; i < w; i++) agg.addRecord(sourceRecord());
      clock += 1_000;
      await pub.tick();
    }
    assert.equal(pub.backlog(), 3, 'the backlog is bounded');
    assert.equal(pub.dropped(), 2, 'the oldest windows are dropped, and counted');
    assert.equal(dropped.n, 2);

    await nats.restart();
    const sub = await connectBus(nats.url, log);
    cleanups.push(() => sub.close());
    const got = listen(sub);
    await sub.nc.flush();
    await eventually(async () => (bus.isConnected() ? true : undefined), 'the publisher to reconnect', 15_000);
    // The reconnect itself sends the backlog; a tick with nothing new makes sure of it.
    await pub.tick();
    await eventually(async () => (pub.backlog() === 0 && got.reports.length >= 3 ? true : undefined), 'the held windows');
    await sub.nc.flush();
    const ids = [...new Set(got.reports.map((r) => r.id))];
    assert.deepEqual(ids, ['w-3', 'w-4', 'w-5'], 'in order, windows 1 and 2 dropped');
    assert.equal(got.requests(), 3 + 4 + 5);
    assert.deepEqual(got.reports.slice(0, 3).map((r) => r.window.start), ['2025-01-01T00:00:02.000Z', '2025-01-01T00:00:03.000Z', '2025-01-01T00:00:04.000Z']);
    assert.equal(published.n, 3);
  });

  it('attach later: a publisher started with no bus holds windows until a bus is attached', async () => {
    let id = 0;
    const agg = new ReportAggregator(WORKLOAD, 100, Date.now(), { newId: () => `late-${++id}` });
    const pub: ReportPublisher = startReportPublisher({ workload: WORKLOAD, aggregator: agg, log, intervalMs: 60_000 });
    cleanups.push(() => pub.stop());
    agg.addRecord(sourceRecord());
    await pub.tick();
    assert.equal(pub.backlog(), 1);
    const sub = await connectBus(nats.url, log);
    const bus = await connectBus(nats.url, log);
    cleanups.push(() => sub.close(), () => bus.close());
    const got = listen(sub);
    await sub.nc.flush();
    pub.attach(bus);
    await pub.tick();
    await eventually(async () => (got.reports.length === 1 ? true : undefined), 'the held window');
    assert.equal(got.reports[0]!.id, 'late-1');
    assert.equal(pub.backlog(), 0);
  });
});
