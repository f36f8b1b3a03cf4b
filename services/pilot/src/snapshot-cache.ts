import type { Logger } from '@jetmesh/log';
import { formatVersion, type MeshState } from '@jetmesh/model';
import { formatInconsistency } from './snapshot-consistency.js';
import type { PilotMetrics } from './pilot-metrics.js';
import { deriveSnapshotSet, type SnapshotSet } from './snapshot-set.js';

/** One derivation as publishers receive it. */
export interface SnapshotUpdate {
  readonly set: SnapshotSet;
  readonly deriveMs: number;
}

/**
 * The latest snapshots and who wants them: the seam between the projection and every publisher
 * (the KV publisher now, an xDS server later).
 */
export interface SnapshotCache {
  /** Derives from `state` and hands the result to every subscriber. */
  update(state: MeshState): SnapshotUpdate;
  current(): SnapshotUpdate | undefined;
  /** Calls `listener` with the current snapshots (if any, on the next turn), then after every update. */
  subscribe(listener: (update: SnapshotUpdate) => void): () => void;
}

export function createSnapshotCache(log: Logger, metrics: PilotMetrics): SnapshotCache {
  let current: SnapshotUpdate | undefined;
  const listeners = new Set<(update: SnapshotUpdate) => void>();
  return {
    update: (state) => {
      const started = performance.now();
      const set = deriveSnapshotSet(state, current?.set);
      const deriveMs = performance.now() - started;
      metrics.deriveSeconds.observe(deriveMs / 1000);
      for (const [host, problems] of set.rejected) {
        // Derivation is pure and checked by tests, so this is a bug: keep serving the last good snapshot.
        log.error({ host, version: formatVersion(set.version), problems: problems.map(formatInconsistency) }, 'inconsistent snapshot not published');
      }
      for (const [workload, problems] of set.rejectedWorkloads) {
        log.error({ workload, version: formatVersion(set.version), problems: problems.map(formatInconsistency) }, 'inconsistent workload snapshot not published');
      }
      const inconsistent = set.rejected.size + set.rejectedWorkloads.size;
      if (inconsistent > 0) metrics.snapshotsInconsistent.inc(inconsistent);
      const update = { set, deriveMs };
      current = update;
      for (const listener of listeners) listener(update);
      return update;
    },
    current: () => current,
    subscribe: (listener) => {
      listeners.add(listener);
      if (current !== undefined) {
        const first = current;
        // Skipped when an update got there first: the listener has already seen newer snapshots.
        setImmediate(() => listeners.has(listener) && current === first && listener(first));
      }
      return () => listeners.delete(listener);
    },
  };
}
