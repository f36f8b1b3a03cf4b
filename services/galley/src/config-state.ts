import { followStream, streamLastSequence, Streams, type Bus, type StreamFollower } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { ChangeSetCodec, configLogEvent, emptyMeshState, GENESIS_HASH, replay, type ChangeSet, type LogEvent, type MeshState } from '@jetmesh/model';

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

/**
 * Two ChangeSets stored on one predecessor, as the fold sees it: `seq` names the same `prev` as
 * an earlier one, so `orphanSeq` (stored right before it) fell out of the hash chain.
 */
export interface ConfigFork {
  readonly seq: number;
  readonly actor: string;
  readonly orphanSeq: number;
  readonly orphanActor: string;
}

/** Galley's own fold of MESH_CONFIG: the state every request is validated against. */
export interface ConfigState {
  /** Forks no repair ChangeSet has re-chained yet; writes other than a repair are refused while there are any. */
  forks(): readonly ConfigFork[];
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
  /** The ChangeSet a client request id was recorded with (among the last RECENT_REQUESTS ones), and its sequence. */
  recordedRequest(requestId: string): RecordedRequest | undefined;
  stop(): Promise<void>;
}

export interface RecordedRequest {
  readonly seq: number;
  readonly changeSet: ChangeSet;
}

/** Request ids remembered for retries: far more than one galley takes within any client's retry horizon. */
export const RECENT_REQUESTS = 100_000;

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

// While catching up, events are folded in chunks: folding one at a time copies the state's maps
// and hashes the ChangeSet per event, quadratic over a long log.
const CATCH_UP_CHUNK_EVENTS = 4096;

// A fork comes from writes in flight together, a few sequences apart: remembering who named
// each of the last few thousand `prev`s finds it without hashing every ChangeSet of a replay.
const RECENT_PREVS = 4096;

/** Spots ChangeSets that name a predecessor another one already named (audit verify tells the whole story). */
function forkWatch(log: Logger): { see(seq: number, cs: ChangeSet): void; skip(): void; open(): readonly ConfigFork[] } {
  const namedBy = new Map<string, number>();
  const open = new Map<number, ConfigFork>();
  let previous: { seq: number; actor: string } | undefined;
  return {
    see: (seq, cs) => {
      for (const r of cs.repairs ?? []) open.delete(r.seq);
      const shared = namedBy.has(cs.prev) || (cs.prev === GENESIS_HASH && previous !== undefined);
      if (shared && previous !== undefined && !open.has(previous.seq)) {
        const fork = { seq, actor: cs.actor, orphanSeq: previous.seq, orphanActor: previous.actor };
        open.set(previous.seq, fork);
        log.error(
          { fork },
          `config log forks at #${seq}: #${seq} (${cs.actor}) and #${previous.seq} (${previous.actor}) were stored on one predecessor; ` +
            'writes are refused until `jetmesh audit repair` re-chains it (see `jetmesh audit verify`)',
        );
      }
      namedBy.set(cs.prev, seq);
      if (namedBy.size > RECENT_PREVS) namedBy.delete(namedBy.keys().next().value as string);
      previous = { seq, actor: cs.actor };
    },
    skip: () => {
      previous = undefined;
    },
    open: () => [...open.values()],
  };
}

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
  const forks = forkWatch(log);
  // Insertion-ordered, so the oldest id is evicted first.
  const requests = new Map<string, RecordedRequest>();

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
      forks.see(meta.seq, event);
      if (event.requestId !== undefined && !requests.has(event.requestId)) {
        requests.set(event.requestId, { seq: meta.seq, changeSet: event });
        if (requests.size > RECENT_REQUESTS) requests.delete(requests.keys().next().value as string);
      }
      pending.push(configLogEvent(meta.seq, event));
      pendingPosition = meta.seq;
      if (caughtUp || pending.length >= CATCH_UP_CHUNK_EVENTS) fold();
    },
    // Skipped as every other replica skips it; the position still moves so writes can follow it.
    onInvalid: (meta) => {
      forks.skip();
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
    forks: () => forks.open(),
    current: () => state,
    position: () => position,
    isCaughtUp: () => caughtUp && failure === undefined,
    caughtUp: caughtUpFolded,
    waitFor,
    recordedRequest: (requestId) => requests.get(requestId),
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
