import type { CheckpointKind, CheckpointStore } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { checkpointOf, encodeCheckpoint, encodeRegistryCheckpoint, registryCheckpointOf, type MeshState } from '@jetmesh/model';

/** What one checkpoint holds: its fold's position in the state and the bytes stored for it. */
export interface CheckpointedFold {
  readonly kind: CheckpointKind;
  position(state: MeshState): number;
  encode(state: MeshState): string;
}

export const configFold: CheckpointedFold = { kind: 'config', position: (s) => s.configSeq, encode: (s) => encodeCheckpoint(checkpointOf(s)) };

/** `streamCreated`: MESH_REGISTRY's creation time, so a reader can tell a recreated stream. */
export const registryFold = (streamCreated: string): CheckpointedFold => ({
  kind: 'registry',
  position: (s) => s.registrySeq,
  encode: (s) => encodeRegistryCheckpoint(registryCheckpointOf(s, streamCreated)),
});

/** When pilot stores a checkpoint: every `everyEvents` events of its stream since the last one. */
export interface CheckpointPolicy {
  readonly everyEvents: number;
}

/** A checkpoint costs one encode of its part of the state; below this many events a replay is cheap anyway. */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyEvents: 10_000 };

export interface CheckpointWriter {
  /** Called with every folded state; writes in the background when the policy says so. */
  offer(state: MeshState): void;
  /** Position of the newest checkpoint known to be stored (by this replica or another). */
  position(): number;
  /** Waits for a write in progress. */
  stop(): Promise<void>;
}

/** Stores `fold`'s part of the state (see model's checkpoint.ts); one write at a time, the newest state wins. */
export function startCheckpointWriter(store: CheckpointStore, fold: CheckpointedFold, log: Logger, policy: CheckpointPolicy, startPosition: number): CheckpointWriter {
  let position = startPosition;
  let writing: Promise<void> | undefined;
  let next: MeshState | undefined;
  let stopped = false;

  const write = async (state: MeshState): Promise<void> => {
    const started = performance.now();
    const at = fold.position(state);
    const data = new TextEncoder().encode(fold.encode(state));
    const result = await store.write(at, data);
    if (result._tag === 'Left') {
      position = Math.max(position, result.left.current ?? position);
      log.info({ kind: fold.kind, position: at, stored: result.left.current }, 'checkpoint not written: another replica stored a newer one');
      return;
    }
    position = Math.max(position, at);
    log.info({ kind: fold.kind, position: at, bytes: data.length, chunks: result.right.chunks, ms: Math.round(performance.now() - started) }, 'checkpoint written');
  };

  const due = (state: MeshState): boolean => fold.position(state) - position >= policy.everyEvents;

  const run = (state: MeshState): void => {
    writing = write(state)
      .catch((err: unknown) => log.warn({ err, kind: fold.kind, position: fold.position(state) }, 'checkpoint write failed; the next one will retry'))
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
