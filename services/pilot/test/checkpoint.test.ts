import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { connectBus, openCheckpointStore, Streams, Subjects, type Bus, type CheckpointStore } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { canonicalJson, checkpointOf, CHECKPOINT_VERSION, deriveSnapshots, encodeCheckpoint, encodeRegistryCheckpoint, registryCheckpointOf, type MeshState } from '@jetmesh/model';
import { startPilot, type Pilot } from '../src/pilot.js';
import { createPilotMetrics } from '../src/pilot-metrics.js';
import { eventually } from '@jetmesh/testing';
import { bookinfo, reviewsRoute, startPilotHarness, type PilotHarness } from './pilot-harness.js';

interface LoggedLine {
  readonly level: string;
  readonly msg: string;
  readonly reason?: string;
  readonly workloads?: number;
}

/** A pilot in this process whose log lines and metrics the test reads, as an operator would. */
interface Started {
  readonly pilot: Pilot;
  readonly lines: LoggedLine[];
  foldedConfigEvents(): Promise<number>;
  foldedRegistryEvents(): Promise<number>;
  stop(): Promise<void>;
}

const EVERY = 5;

describe('checkpoints', () => {
  let h: PilotHarness;
  let store: CheckpointStore;
  const buses: Bus[] = [];

  const start = async (checkpoints: boolean): Promise<Started> => {
    const lines: LoggedLine[] = [];
    const log = createLogger('pilot-checkpoint-test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as LoggedLine) });
    const bus = await connectBus(h.nats.url, log, { name: 'pilot-checkpoint-test' });
    buses.push(bus);
    const registry = new Registry();
    const folded = async (stream: string): Promise<number> => {
      const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'pilot_events_folded_total');
      return Number(metric?.values.find((v) => v.labels.stream === stream)?.value ?? 0);
    };
    const pilot = await startPilot(bus, log, createPilotMetrics(registry), { checkpoints: { enabled: checkpoints, everyEvents: EVERY } });
    await pilot.projection.caughtUp;
    return {
      pilot,
      lines,
      foldedConfigEvents: () => folded('config'),
      foldedRegistryEvents: () => folded('registry'),
      stop: () => pilot.stop(),
    };
  };

  /** What proxies would be served: every derived snapshot, as bytes. */
  const served = (s: MeshState): string => canonicalJson([...deriveSnapshots(s)]);
  let reference: MeshState;
  let lastSeq = 0;

  before(async () => {
    h = await startPilotHarness();
    store = await openCheckpointStore(h.bus);
    await h.log.apply(bookinfo(), 'bookinfo');
    for (let i = 0; i < 11; i++) lastSeq = await h.log.apply(reviewsRoute(90 - i, 10 + i));
    await h.log.register('default', 'reviews-vm-1', { address: '10.0.0.7', labels: { app: 'reviews', version: 'v1' } });
  });
  after(async () => {
    for (const bus of buses) await bus.close();
    await h.dispose();
  });

  test('checkpoint.write: a pilot that replayed at least 5 changes stores the config state at the last one', async () => {
    const first = await start(true);
    const stored = await eventually(async () => {
      const latest = await store.readLatest();
      return latest._tag === 'Right' && latest.right !== undefined ? latest.right : undefined;
    }, 'a checkpoint');
    assert.equal(stored.manifest.position, lastSeq);
    assert.ok(first.lines.some((l) => l.msg === 'no checkpoint: replaying the whole log'));
    reference = first.pilot.projection.state();
    await first.stop();
  });

  test('checkpoint.cold-start: a new pilot loads it, replays only the tail, and ends in the same state as a full replay', async () => {
    for (let i = 0; i < 3; i++) lastSeq = await h.log.apply(reviewsRoute(50 + i, 50 - i));
    const resumed = await start(true);
    assert.equal(await resumed.foldedConfigEvents(), 3);
    assert.ok(resumed.lines.some((l) => l.msg === 'checkpoint loaded: replaying MESH_CONFIG from the next change'));
    const full = await start(false);
    assert.equal(await full.foldedConfigEvents(), lastSeq);
    assert.deepStrictEqual(resumed.pilot.projection.state(), full.pilot.projection.state());
    assert.equal(served(resumed.pilot.projection.state()), served(full.pilot.projection.state()));
    assert.notEqual(served(full.pilot.projection.state()), served(reference), 'the tail changed routing');
    await resumed.stop();
    await full.stop();
  });

  const ignoredWith = async (reason: RegExp): Promise<void> => {
    const p = await start(true);
    try {
      assert.equal(await p.foldedConfigEvents(), lastSeq, 'the whole log is replayed');
      const warning = p.lines.find((l) => l.msg === 'checkpoint ignored: replaying the whole log');
      assert.equal(warning?.level, 'warn');
      assert.match(warning?.reason ?? '', reason);
    } finally {
      await p.stop();
    }
  };

  test('checkpoint.corrupt: bytes that are not a checkpoint are ignored with a warning', async () => {
    await store.write(1000, new TextEncoder().encode('{"format":"jetmesh.config-checkpoint","version":1,"sha256":"00"}\n{"configSeq":1'));
    await ignoredWith(/does not match its SHA-256/);
  });

  test('checkpoint.unknown-version: a checkpoint from a newer pilot is ignored with a warning naming its version', async () => {
    const text = encodeCheckpoint(checkpointOf(reference)).replace(`"version":${CHECKPOINT_VERSION}`, '"version":2');
    await store.write(1001, new TextEncoder().encode(text));
    await ignoredWith(/version 2/);
  });

  test('checkpoint.other-log: a checkpoint whose ChangeSet N hashes differently (another log) is ignored', async () => {
    const forged = { ...reference, lastChangeSetHash: 'f'.repeat(64) };
    await store.write(1002, new TextEncoder().encode(encodeCheckpoint(checkpointOf(forged))));
    await ignoredWith(/belongs to another log/);
  });

  describe('registry', () => {
    let registryStore: CheckpointStore;
    let registrySeq = 0;
    const vm = (i: number) => ({ address: `10.0.1.${i}`, labels: { app: 'reviews', version: 'v1' } });
    const sortedWorkloads = (s: MeshState) => [...s.workloads].sort(([a], [b]) => (a < b ? -1 : 1));
    // Compaction keeps one event per workload: a full replay folds those.
    const retainedRegistryEvents = async (): Promise<number> => (await h.bus.jsm.streams.info(Streams.registry)).state.messages;
    const sameAsFullReplay = async (resumed: Started): Promise<void> => {
      const full = await start(false);
      try {
        assert.equal(await full.foldedRegistryEvents(), await retainedRegistryEvents());
        assert.deepStrictEqual(sortedWorkloads(resumed.pilot.projection.state()), sortedWorkloads(full.pilot.projection.state()));
        assert.equal(served(resumed.pilot.projection.state()), served(full.pilot.projection.state()));
      } finally {
        await full.stop();
      }
    };

    before(async () => {
      registryStore = await openCheckpointStore(h.bus, 'registry');
      for (let i = 1; i <= EVERY; i++) registrySeq = await h.log.register('default', `vm-${i}`, vm(i));
    });

    test('checkpoint.registry-cold-start: a new pilot loads the registry checkpoint, replays only the registry events after it, and ends as a full replay', async () => {
      const first = await start(true);
      const stored = await eventually(async () => {
        const latest = await registryStore.readLatest();
        return latest._tag === 'Right' && latest.right?.manifest.position === registrySeq ? latest.right : undefined;
      }, 'a registry checkpoint');
      assert.ok(stored.data.length > 0);
      await first.stop();
      registrySeq = await h.log.register('default', 'vm-6', vm(6));
      registrySeq = await h.log.unregister('default', 'vm-2');
      const resumed = await start(true);
      try {
        assert.equal(await resumed.foldedRegistryEvents(), 2);
        assert.ok(resumed.lines.some((l) => l.msg === 'registry checkpoint loaded: replaying MESH_REGISTRY from the next event'));
        assert.equal(resumed.pilot.projection.state().workloads.has('default/vm-2'), false);
        await sameAsFullReplay(resumed);
      } finally {
        await resumed.stop();
      }
    });

    test('checkpoint.registry-purged: a workload of the checkpoint whose subject was purged since is dropped, as a full replay would not have it', async () => {
      await h.bus.jsm.streams.purge(Streams.registry, { filter: Subjects.registry('default', 'vm-3') });
      const resumed = await start(true);
      try {
        await eventually(async () => !resumed.pilot.projection.state().workloads.has('default/vm-3') || undefined, 'vm-3 dropped');
        const warning = resumed.lines.find((l) => l.msg === 'registry checkpoint held workloads purged from MESH_REGISTRY since: dropped');
        assert.equal(warning?.level, 'warn');
        assert.equal(warning?.workloads, 1);
        await sameAsFullReplay(resumed);
      } finally {
        await resumed.stop();
      }
    });

    test('checkpoint.registry-other-stream: a registry checkpoint of a MESH_REGISTRY created at another time is ignored and the stream replayed whole', async () => {
      const full = await start(false);
      const state = full.pilot.projection.state();
      await full.stop();
      await registryStore.write(state.registrySeq + 1000, new TextEncoder().encode(encodeRegistryCheckpoint(registryCheckpointOf(state, '2020-01-01T00:00:00Z'))));
      const p = await start(true);
      try {
        assert.equal(await p.foldedRegistryEvents(), await retainedRegistryEvents());
        const warning = p.lines.find((l) => l.msg === 'registry checkpoint ignored: replaying the whole MESH_REGISTRY stream');
        assert.equal(warning?.level, 'warn');
        assert.match(warning?.reason ?? '', /belongs to another stream/);
      } finally {
        await p.stop();
      }
    });
  });
});
