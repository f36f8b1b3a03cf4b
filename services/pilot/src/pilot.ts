import { openCheckpointStore, type Bus } from '@jetmesh/bus';
import { childLogger, type Logger } from '@jetmesh/log';
import type { Readiness } from '@jetmesh/runtime';
import { loadCheckpoints } from './checkpoint-loader.js';
import { configFold, DEFAULT_CHECKPOINT_POLICY, registryFold, startCheckpointWriter, type CheckpointPolicy } from './checkpoint-writer.js';
import { startMeshProjection, type MeshProjection } from './mesh-projection.js';
import type { PilotMetrics } from './pilot-metrics.js';
import { createSnapshotCache, type SnapshotCache } from './snapshot-cache.js';
import { startSnapshotPublisher, type SnapshotPublisher } from './snapshot-publisher.js';

/** One pilot replica: the projection feeds the snapshot cache, the cache feeds the KV publisher. */
export interface Pilot {
  readonly projection: MeshProjection;
  /** Where an xDS server subscribes to snapshot changes. */
  readonly snapshots: SnapshotCache;
  readonly publisher: SnapshotPublisher;
  /** Ready once the log is replayed and its snapshots are in KV. */
  readiness(): Readiness;
  stop(): Promise<void>;
}

export interface PilotOptions {
  /** Config and registry checkpoints: loaded at start to shorten the replay, written as each stream grows. Default: on, every 10,000 events of a stream. */
  readonly checkpoints?: { readonly enabled: boolean } & Partial<CheckpointPolicy>;
}

export async function startPilot(bus: Bus, log: Logger, metrics: PilotMetrics, opts: PilotOptions = {}): Promise<Pilot> {
  const snapshots = createSnapshotCache(log, metrics);
  const publisher = await startSnapshotPublisher(bus, log, metrics);
  const unsubscribe = snapshots.subscribe(publisher.publish);
  const checkpointLog = childLogger(log, { part: 'checkpoints' });
  const checkpointStores =
    opts.checkpoints?.enabled === false ? undefined : { config: await openCheckpointStore(bus, 'config'), registry: await openCheckpointStore(bus, 'registry') };
  const loaded = checkpointStores === undefined ? undefined : await loadCheckpoints(bus, checkpointStores, checkpointLog);
  const registryCheck = loaded?.registry === undefined ? undefined : { checkpoint: loaded.registry, after: publisher.firstPublish };
  const projection = await startMeshProjection(bus, log, metrics, loaded?.state, registryCheck);
  projection.onChange(snapshots.update);
  const policy = { ...DEFAULT_CHECKPOINT_POLICY, ...opts.checkpoints };
  const checkpoints =
    checkpointStores === undefined || loaded === undefined
      ? []
      : [
          startCheckpointWriter(checkpointStores.config, configFold, checkpointLog, policy, loaded.state.configSeq),
          startCheckpointWriter(checkpointStores.registry, registryFold(loaded.registryStreamCreated), checkpointLog, policy, loaded.state.registrySeq),
        ];
  for (const writer of checkpoints) projection.onChange(writer.offer);
  return {
    projection,
    snapshots,
    publisher,
    readiness: () =>
      !projection.isCaughtUp()
        ? { ready: false, reason: 'replaying the event log' }
        : !publisher.hasPublished()
          ? { ready: false, reason: 'publishing the first snapshots' }
          : { ready: true },
    stop: async () => {
      await projection.stop();
      await Promise.all(checkpoints.map((w) => w.stop()));
      unsubscribe();
      await publisher.stop();
    },
  };
}
