import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { connectBus, openCheckpointStore, provisionMesh, readStream, Streams, Subjects, type Bus } from '@jetmesh/bus';
import { replayToPoints } from '@jetmesh/cli';
import { createLogger } from '@jetmesh/log';
import {
  changeSetHash,
  ChangeSetCodec,
  decodeResource,
  GENESIS_HASH,
  PointInTimeFold,
  RegistryEventCodec,
  type Change,
  type ChangeSet,
  type MeshResource,
  type RegistryEvent,
} from '@jetmesh/model';
import { createPilotMetrics, startPilot } from '@jetmesh/pilot';
import { startNatsServer } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { benchQuick } from './bench-mode.js';

/*
 * replay: N mixed events (default 1,000,000, 100,000 with --quick; JETMESH_BENCH_REPLAY_EVENTS) → MeshState.
 * Half are ChangeSets on a 200-service mesh (VirtualService reweights mostly; DestinationRule,
 * WorkloadEntry and ServiceEntry edits; VirtualService deletes and re-creates), half are
 * MESH_REGISTRY events of distinct workloads, as compaction leaves them after pod churn:
 * 98% `WorkloadRemoved` tombstones, 2% live registrations. Every event is retained, so every
 * one is replayed. The baseline is reading the same streams from JetStream without decoding,
 * with the same consumer settings, in the same run.
 */

const SERVICES = 200;
const LIVE_WORKLOAD_SHARE = 0.02;
/** Events published after the checkpoints (of each stream): the tails a cold start with checkpoints replays. */
const TAIL_SHARE = 0.01;
const PUBLISH_FLUSH_EVERY = 5_000;
const WARM_UP_EVENTS = 20_000;

const silent = createLogger('bench', 'silent');

const decoded = (doc: unknown): MeshResource => {
  const r = decodeResource(doc);
  if (r._tag === 'Left') throw new Error(`bench fixture does not decode: ${JSON.stringify(r.left)}`);
  return r.right.resource;
};

const meta = (name: string) => ({ name, namespace: 'default' });
const serviceEntry = (s: number, port: number) =>
  decoded({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(`svc-${s}`), spec: { hosts: [`svc-${s}`], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: port, name: 'http', protocol: 'HTTP' }], workloadSelector: { labels: { app: `svc-${s}` } } } });
const destinationRule = (s: number, lb: string) =>
  decoded({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(`svc-${s}`), spec: { host: `svc-${s}`, trafficPolicy: { loadBalancer: { simple: lb } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } });
const workloadEntry = (s: number, n: number) =>
  decoded({ apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: meta(`svc-${s}-we`), spec: { address: `10.9.${s % 250}.${(n % 250) + 1}`, ports: { http: 8000 + (n % 1000) }, labels: { app: `svc-${s}`, version: n % 2 === 0 ? 'v1' : 'v2' } } });
const virtualService = (s: number, w: number) =>
  decoded({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: meta(`svc-${s}`),
    spec: {
      hosts: [`svc-${s}`],
      http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: `svc-${s}`, subset: 'v2' } }] },
        { route: [{ destination: { host: `svc-${s}`, subset: 'v1' }, weight: w }, { destination: { host: `svc-${s}`, subset: 'v2' }, weight: 100 - w }], timeout: '3s', retries: { attempts: 2, perTryTimeout: '1s' } },
      ],
    },
  });

/** The k-th change of the mix: first the mesh is built, then mostly reweights. */
const changeOf = (k: number): Change => {
  const s = k % SERVICES;
  if (k < 4 * SERVICES) {
    const build = [serviceEntry(s, 8080), destinationRule(s, 'ROUND_ROBIN'), workloadEntry(s, 0), virtualService(s, 90)][Math.floor(k / SERVICES)]!;
    return { op: 'apply', resource: build };
  }
  const kind = k % 20;
  const round = Math.floor(k / SERVICES);
  if (kind < 14) return { op: 'apply', resource: virtualService(s, round % 101) };
  if (kind < 16) return { op: 'apply', resource: destinationRule(s, round % 2 === 0 ? 'LEAST_REQUEST' : 'ROUND_ROBIN') };
  if (kind < 18) return { op: 'apply', resource: workloadEntry(s, round) };
  if (kind < 19) return { op: 'apply', resource: serviceEntry(s, 8080 + (round % 2)) };
  return { op: 'delete', ref: { kind: 'VirtualService', namespace: 'default', name: `svc-${s}` } };
};

/** Writes the log with core publishes (JetStream stores them; no per-message ack), then checks every one was stored. */
class LogWriter {
  private prev = GENESIS_HASH;
  private configCount = 0;
  /** Services whose VirtualService is deleted right now. */
  private readonly deleted = new Set<number>();
  private readonly encoder = new TextEncoder();
  private readonly started = Date.parse('2024-05-01T00:00:00.000Z');

  constructor(private readonly bus: Bus) {}

  async config(from: number, to: number): Promise<void> {
    const deleted = this.deleted;
    for (let k = from; k < to; k++) {
      let change = changeOf(k);
      // A delete of what is already deleted is not a change galley would record: re-create instead.
      if (change.op === 'delete') {
        const s = k % SERVICES;
        if (deleted.has(s)) change = { op: 'apply', resource: virtualService(s, 50) };
        else deleted.add(s);
      } else if (change.resource.kind === 'VirtualService') deleted.delete(k % SERVICES);
      const cs: ChangeSet = { id: `cs-${k}`, type: 'ChangeSet', at: new Date(this.started + k * 1000).toISOString(), actor: `user-${k % 3}`, prev: this.prev, changes: [change] };
      this.prev = changeSetHash(cs);
      this.bus.nc.publish(Subjects.config, this.encoder.encode(JSON.stringify(ChangeSetCodec.encode(cs))));
      this.configCount += 1;
      if (this.configCount % PUBLISH_FLUSH_EVERY === 0) await this.bus.nc.flush();
    }
    await this.stored(Streams.config, this.configCount);
  }

  /** Events `from`..`to` of a registry log of `count`, whose last LIVE_WORKLOAD_SHARE are registrations. */
  async registry(from: number, to: number, count: number): Promise<void> {
    const live = Math.floor(count * LIVE_WORKLOAD_SHARE);
    for (let i = from; i < to; i++) {
      const s = i % SERVICES;
      const base = { id: `r-${i}`, at: new Date(this.started + i * 1000).toISOString(), actor: 'agent', namespace: 'default', name: `svc-${s}-pod-${i}` };
      const event: RegistryEvent =
        i < count - live
          ? { ...base, type: 'WorkloadRemoved' }
          : { ...base, type: 'WorkloadRegistered', workload: { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ports: { http: 8080 }, labels: { app: `svc-${s}`, version: i % 2 === 0 ? 'v1' : 'v2' } } };
      this.bus.nc.publish(Subjects.registry(event.namespace, event.name), this.encoder.encode(JSON.stringify(RegistryEventCodec.encode(event))));
      if ((i + 1) % PUBLISH_FLUSH_EVERY === 0) await this.bus.nc.flush();
    }
    await this.stored(Streams.registry, to);
  }

  private async stored(stream: string, expected: number): Promise<void> {
    await this.bus.nc.flush();
    for (let i = 0; i < 600; i++) {
      const { state } = await this.bus.jsm.streams.info(stream);
      if (state.messages >= expected) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${stream} did not store all ${expected} published events`);
  }
}

/** Raw JetStream read: the same ordered consumer and batch readStream uses, counting messages, decoding nothing. */
const rawRead = async (bus: Bus, stream: string, limit = Infinity): Promise<number> => {
  const consumer = await bus.js.consumers.get(stream, { opt_start_seq: 1 });
  const messages = await consumer.consume({ max_messages: 256, expires: 30_000 });
  let n = 0;
  for await (const m of messages) {
    n += m.data.length > 0 ? 1 : 0;
    if (m.info.pending === 0 || n >= limit) break;
  }
  messages.stop();
  await consumer.delete().catch(() => undefined);
  return n;
};

const seconds = async (run: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await run();
  return (performance.now() - t0) / 1000;
};

/** One stream replayed into state with the fold `at` uses (strict decode + the shared reducer). */
const foldStream = async (bus: Bus, stream: 'config' | 'registry'): Promise<void> => {
  const fold = new PointInTimeFold();
  if (stream === 'config') for await (const e of readStream(bus, { stream: Streams.config, codec: ChangeSetCodec, fromSequence: 1 })) fold.config(e.seq, e.value);
  else for await (const e of readStream(bus, { stream: Streams.registry, codec: RegistryEventCodec, fromSequence: 1 })) fold.registry(e.seq, e.value);
  fold.result();
};

/** Start → ready (log replayed, snapshots in KV) of a pilot in this process. */
const coldStart = async (url: string, checkpoints: boolean): Promise<number> => {
  const bus = await connectBus(url, silent, { name: 'bench-pilot' });
  const t0 = performance.now();
  const pilot = await startPilot(bus, silent, createPilotMetrics(new Registry()), { checkpoints: { enabled: checkpoints } });
  while (!pilot.readiness().ready) await new Promise((r) => setTimeout(r, 5));
  const s = (performance.now() - t0) / 1000;
  await pilot.stop();
  await bus.close();
  return s;
};

export const replayBench = async (): Promise<BenchRow[]> => {
  const total = Number(process.env.JETMESH_BENCH_REPLAY_EVENTS ?? (benchQuick() ? 100_000 : 1_000_000));
  const configEvents = Math.floor(total / 2);
  const registryEvents = total - configEvents;
  const tail = Math.max(1, Math.floor(configEvents * TAIL_SHARE));
  const registryTail = Math.max(1, Math.floor(registryEvents * TAIL_SHARE));
  const nats = await startNatsServer();
  const bus = await connectBus(nats.url, silent, { name: 'bench-replay' });
  try {
    await provisionMesh(bus);
    const writer = new LogWriter(bus);
    await writer.config(0, configEvents - tail);
    await writer.registry(0, registryEvents - registryTail, registryEvents);
    // The checkpoints a running pilot would have written before the last `tail` changes and `registryTail` registry events.
    const writerBus = await connectBus(nats.url, silent, { name: 'bench-checkpoint-writer' });
    const first = await startPilot(writerBus, silent, createPilotMetrics(new Registry()), { checkpoints: { enabled: true, everyEvents: 1 } });
    await first.projection.caughtUp;
    for (const store of [await openCheckpointStore(bus, 'config'), await openCheckpointStore(bus, 'registry')]) {
      for (;;) {
        const latest = await store.readLatest();
        if (latest._tag === 'Right' && latest.right !== undefined) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await first.stop();
    await writerBus.close();
    await writer.config(configEvents - tail, configEvents);
    await writer.registry(registryEvents - registryTail, registryEvents, registryEvents);

    // Warm-up (not measured): the first pass of each path pays for JIT compilation and cold caches.
    await rawRead(bus, Streams.config, WARM_UP_EVENTS);
    await rawRead(bus, Streams.registry, WARM_UP_EVENTS);
    await replayToPoints(bus, [{ kind: 'sequence', seq: Math.min(WARM_UP_EVENTS, configEvents) }], { progress: false, stderr: process.stderr });
    const rawConfig = await seconds(() => rawRead(bus, Streams.config));
    const rawRegistry = await seconds(() => rawRead(bus, Streams.registry));
    const replayAll = await seconds(() => replayToPoints(bus, [undefined], { progress: false, stderr: process.stderr }));
    const replayConfig = await seconds(() => foldStream(bus, 'config'));
    const replayRegistry = await seconds(() => foldStream(bus, 'registry'));
    const withCheckpoint = await coldStart(nats.url, true);
    // Restarted again: KV now holds every snapshot, as it does when a replica restarts beside running ones.
    const withCheckpointKvCurrent = await coldStart(nats.url, true);
    const withoutCheckpoint = await coldStart(nats.url, false);

    const rate = (events: number, s: number): number => events / s;
    const mixed = `${(total / 1e6).toFixed(total >= 1e6 ? 0 : 2)}M mixed`;
    return [
      { bench: 'replay', metric: `${mixed} events → state (CLI replay)`, value: rate(total, replayAll), baselineName: 'raw JetStream read, same streams', baseline: rate(total, rawConfig + rawRegistry), unit: 'ev/s' },
      { bench: 'replay', metric: `${configEvents} ChangeSets → state`, value: rate(configEvents, replayConfig), baselineName: 'raw read of MESH_CONFIG', baseline: rate(configEvents, rawConfig), unit: 'ev/s' },
      { bench: 'replay', metric: `${registryEvents} registry events → state`, value: rate(registryEvents, replayRegistry), baselineName: 'raw read of MESH_REGISTRY', baseline: rate(registryEvents, rawRegistry), unit: 'ev/s' },
      { bench: 'replay', metric: `pilot cold start, checkpoints + ${tail} changes + ${registryTail} registry events`, value: withCheckpoint, baselineName: 'pilot cold start, full replay', baseline: withoutCheckpoint, unit: 's' },
      { bench: 'replay', metric: 'same, snapshots already in KV (replica restart)', value: withCheckpointKvCurrent, baselineName: 'pilot cold start, full replay', baseline: withoutCheckpoint, unit: 's' },
    ];
  } finally {
    await bus.close();
    await nats.dispose();
  }
};
