import type { CheckpointStore } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { checkpointOf, encodeCheckpoint, type MeshState } from '@jetmesh/model';

/** When pilot stores a checkpoint: every `everyEvents` MESH_CONFIG changes since the last one. */
export interface CheckpointPolicy {
  readonly everyEvents: number;
}

/** A checkpoint costs one encode of the config state; below this many changes a replay is cheap anyway. */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyEvents: 10_000 };

export interface CheckpointWriter {
  /** Called with every folded state; writes in the background when the policy says so. */
  offer(state: MeshState): void;
  /** Position of the newest checkpoint known to be stored (by this replica or another). */
  position(): number;
  /** Waits for a write in progress. */
  stop(): Promise<void>;
}

/** Stores the config part of the state (see model's checkpoint.ts); one write at a time, the newest state wins. */
export function startCheckpointWriter(store: CheckpointStore, log: Logger, policy: CheckpointPolicy, startPosition: number): CheckpointWriter {
  let position = startPosition;
  let writing: Promise<void> | undefined;
  let next: MeshState | undefined;
  let stopped = false;

  const write = async (state: MeshState): Promise<void> => {
    const started = performance.now();
    const data = new TextEncoder().encode(encodeCheckpoint(checkpointOf(state)));
    const result = await store.write(state.configSeq, data);
    if (result._tag === 'Left') {
      position = Math.max(position, result.left.current ?? position);
      log.info({ configSeq: state.configSeq, stored: result.left.current }, 'checkpoint not written: another replica stored a newer one');
      return;
    }
    position = Math.max(position, state.configSeq);
    log.info({ configSeq: state.configSeq, resources: state.resources.size, bytes: data.length, chunks: result.right.chunks, ms: Math.round(performance.now() - started) }, 'checkpoint written');
  };

  const due = (state: MeshState): boolean => state.configSeq - position >= policy.everyEvents;

  const run = (state: MeshState): void => {
    writing = write(state)
      .catch((err: unknown) => log.warn({ err, configSeq: state.configSeq }, 'checkpoint write failed; the next one will retry'))
      .finally(() => {
        writing = undefined;
        const pending = next;
        next = undefined;
        if (pending !== undefined && !stopped && due(pending)) run(pending);
      });
  };

  return {
    offer: (state) => {
      if (stopped || !due(state)) return;
      if (writing !== undefined) next = state;
      else run(state);
    },
    position: () => position,
    stop: async () => {
      stopped = true;
      await writing;
    },
  };
}
