import { followStream, streamLastSequence, Streams, type Bus, type StreamFollower } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { ChangeSetCodec, configLogEvent, emptyMeshState, replay, type LogEvent, type MeshState } from '@jetmesh/model';

/** How long a caller waits for galley's own projection to reach a sequence before calling NATS lost. */
export const FOLD_TIMEOUT_MS = 10_000;

/** The projection did not reach a sequence in time: the bus is gone or badly lagging. */
export class ConfigStateLagError extends Error {
  readonly code = 'UNAVAILABLE';

  constructor(
    readonly wanted: number,
    readonly reached: number,
  ) {
    super(`config state did not reach sequence ${wanted} within ${FOLD_TIMEOUT_MS} ms (at ${reached})`);
    this.name = 'ConfigStateLagError';
  }
}

/** Galley's own fold of MESH_CONFIG: the state every request is validated against. */
export interface ConfigState {
  current(): MeshState;
  /**
   * Last MESH_CONFIG sequence handled, including events that did not decode:
   * the sequence the next write must expect.
   */
  position(): number;
  isCaughtUp(): boolean;
  readonly caughtUp: Promise<void>;
  /** Resolves once `seq` is folded in; rejects with ConfigStateLagError after FOLD_TIMEOUT_MS. */
  waitFor(seq: number): Promise<void>;
  /** The state including every change stored when called, so reads see writes made through any replica. */
  latest(): Promise<MeshState>;
  stop(): Promise<void>;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

// While catching up, events are folded in chunks: folding one at a time copies the state's maps
// and hashes the ChangeSet per event, quadratic over a long log.
const CATCH_UP_CHUNK_EVENTS = 4096;

/** Replays MESH_CONFIG from the start with the shared reducer, then follows it live. */
export async function startConfigState(bus: Bus, log: Logger): Promise<ConfigState> {
  let state = emptyMeshState;
  let position = 0;
  let failure: Error | undefined;
  let caughtUp = false;
  // Handled but not yet folded: the events, and the sequence position moves to when they are.
  let pending: LogEvent[] = [];
  let pendingPosition = 0;
  const waiters = new Set<Waiter>();

  const fold = (): void => {
    if (pending.length > 0) state = replay(state, pending);
    pending = [];
    position = pendingPosition;
    settle();
  };

  const settle = (): void => {
    for (const w of waiters) {
      if (position >= w.seq) w.resolve();
      else if (failure !== undefined) w.reject(failure);
      else continue;
      clearTimeout(w.timer);
      waiters.delete(w);
    }
  };

  const follower: StreamFollower = await followStream(bus, {
    stream: Streams.config,
    codec: ChangeSetCodec,
    fromSequence: 1,
    onEvent: (event, meta) => {
      pending.push(configLogEvent(meta.seq, event));
      pendingPosition = meta.seq;
      if (caughtUp || pending.length >= CATCH_UP_CHUNK_EVENTS) fold();
    },
    // Skipped as every other replica skips it; the position still moves so writes can follow it.
    onInvalid: (meta) => {
      pendingPosition = meta.seq;
      if (caughtUp) fold();
    },
  });
  const caughtUpFolded = follower.caughtUp.then(() => {
    caughtUp = true;
    fold();
  });
  // Observed by whoever awaits it; a follower failure is also reported through `closed` below.
  caughtUpFolded.catch(() => undefined);
  follower.closed.catch((err: unknown) => {
    failure = err instanceof Error ? err : new Error(String(err));
    log.error({ err: failure }, 'config state stopped following MESH_CONFIG');
    settle();
  });

  const waitFor = (seq: number): Promise<void> => {
    if (position >= seq) return Promise.resolve();
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        seq,
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          reject(new ConfigStateLagError(seq, position));
        }, FOLD_TIMEOUT_MS),
      };
      waiters.add(waiter);
    });
  };

  return {
    current: () => state,
    position: () => position,
    isCaughtUp: () => caughtUp && failure === undefined,
    caughtUp: caughtUpFolded,
    waitFor,
    latest: async () => {
      await waitFor(await streamLastSequence(bus, Streams.config));
      return state;
    },
    stop: async () => {
      failure ??= new Error('config state stopped');
      settle();
      await follower.stop();
    },
  };
}
