import { openCheckpointStore, type Bus } from '@jetmesh/bus';
import { childLogger, type Logger } from '@jetmesh/log';
import type { Readiness } from '@jetmesh/runtime';
import { loadCheckpoint } from './checkpoint-loader.js';
import { DEFAULT_CHECKPOINT_POLICY, startCheckpointWriter, type CheckpointPolicy } from './checkpoint-writer.js';
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
  /** Config checkpoints: loaded at start to shorten the replay, written as the log grows. Default: on, every 10,000 changes. */
  readonly checkpoints?: { readonly enabled: boolean } & Partial<CheckpointPolicy>;
}

export async function startPilot(bus: Bus, log: Logger, metrics: PilotMetrics, opts: PilotOptions = {}): Promise<Pilot> {
  const snapshots = createSnapshotCache(log, metrics);
  const publisher = await startSnapshotPublisher(bus, log, metrics);
  const unsubscribe = snapshots.subscribe(publisher.publish);
  const checkpointLog = childLogger(log, { part: 'checkpoints' });
  const checkpointStore = opts.checkpoints?.enabled === false ? undefined : await openCheckpointStore(bus);
  const initial = checkpointStore === undefined ? undefined : await loadCheckpoint(bus, checkpointStore, checkpointLog);
  const projection = await startMeshProjection(bus, log, metrics, initial);
  projection.onChange(snapshots.update);
  const checkpoints =
    checkpointStore === undefined
      ? undefined
      : startCheckpointWriter(checkpointStore, checkpointLog, { ...DEFAULT_CHECKPOINT_POLICY, ...opts.checkpoints }, initial?.configSeq ?? 0);
  if (checkpoints !== undefined) projection.onChange(checkpoints.offer);
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
      await checkpoints?.stop();
      unsubscribe();
      await publisher.stop();
    },
  };
}
