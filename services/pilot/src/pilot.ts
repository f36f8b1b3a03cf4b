import type { Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { Readiness } from '@jetmesh/runtime';
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

export async function startPilot(bus: Bus, log: Logger, metrics: PilotMetrics): Promise<Pilot> {
  const snapshots = createSnapshotCache(log, metrics);
  const publisher = await startSnapshotPublisher(bus, log, metrics);
  const unsubscribe = snapshots.subscribe(publisher.publish);
  const projection = await startMeshProjection(bus, log, metrics);
  projection.onChange(snapshots.update);
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
      unsubscribe();
      await publisher.stop();
    },
  };
}
