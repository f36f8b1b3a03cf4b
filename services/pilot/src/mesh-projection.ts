import { followStream, lastSequenceOnSubject, streamLastSequence, Streams, Subjects, type Bus, type EventMeta, type StreamFollower } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import {
  ChangeSetCodec,
  configLogEvent,
  emptyMeshState,
  RegistryEventCodec,
  registryLogEvent,
  replay,
  withoutWorkloads,
  type LogEvent,
  type MeshState,
  type RegistryCheckpoint,
} from '@jetmesh/model';
import { forEachConcurrently } from './for-each-concurrently.js';
import type { PilotMetrics, StreamLabel } from './pilot-metrics.js';

/** The mesh state folded from MESH_CONFIG and MESH_REGISTRY, kept current as the log grows. */
export interface MeshProjection {
  state(): MeshState;
  /** Resolves once both streams have been replayed up to where they ended at start. */
  readonly caughtUp: Promise<void>;
  isCaughtUp(): boolean;
  /**
   * Calls `listener` with the state once the replay is done (at once if it already is), then once
   * per burst of events. Never during the replay: a half-replayed state is not worth deriving.
   */
  onChange(listener: (state: MeshState) => void): () => void;
  /** Settles when either follower ends; unless stop() was called, the state no longer follows the log. */
  readonly closed: Promise<void>;
  stop(): Promise<void>;
}

// Folding in chunks bounds the memory a long replay holds without copying the maps per event.
const REPLAY_CHUNK_EVENTS = 4096;

// Lookups in flight while checking a registry checkpoint's workloads against the stream.
const PURGE_CHECK_CONCURRENCY = 16;

/** A registry checkpoint the initial state came from, and when to check its workloads against the stream. */
export interface RegistryCheckpointCheck {
  readonly checkpoint: RegistryCheckpoint;
  /** The check's lookups wait for this (pilot: its first publish), so they do not delay readiness. */
  readonly after: Promise<unknown>;
}

/**
 * `initial`: the checkpoints' state (config part at its configSeq, registry part at its
 * registrySeq); each stream is then replayed from the next event. `registryCheck`: once caught up
 * (and `after`), the workloads `initial` took from the registry checkpoint that no later event
 * touched are looked up in MESH_REGISTRY, and those whose subject holds no message any more
 * (purged, which no event announces) are dropped, as a full replay would not have them.
 */
export async function startMeshProjection(
  bus: Bus,
  log: Logger,
  metrics: PilotMetrics,
  initial: MeshState = emptyMeshState,
  registryCheck?: RegistryCheckpointCheck,
): Promise<MeshProjection> {
  let state = initial;
  let pending: LogEvent[] = [];
  let caughtUp = false;
  let foldedEvents = 0;
  let flushScheduled: NodeJS.Immediate | undefined;
  let stopping = false;
  let purgeCheck: Promise<void> | undefined;
  const listeners = new Set<(state: MeshState) => void>();

  const fold = (): void => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    state = replay(state, batch);
    foldedEvents += batch.length;
    const counts: Record<StreamLabel, number> = { config: 0, registry: 0 };
    for (const e of batch) counts[e.stream] += 1;
    for (const stream of ['config', 'registry'] as const) if (counts[stream] > 0) metrics.eventsFolded.inc({ stream }, counts[stream]);
    metrics.sequence.set({ stream: 'config' }, state.configSeq);
    metrics.sequence.set({ stream: 'registry' }, state.registrySeq);
  };

  const emit = (): void => {
    for (const listener of listeners) listener(state);
  };

  const flush = (): void => {
    flushScheduled = undefined;
    fold();
    emit();
  };

  const accept = (e: LogEvent): void => {
    pending.push(e);
    if (!caughtUp) {
      if (pending.length >= REPLAY_CHUNK_EVENTS) fold();
      return;
    }
    // Everything that arrives before the event loop turns is folded, then derived, once: no fixed debounce.
    flushScheduled ??= setImmediate(flush);
  };

  const onInvalid = (stream: StreamLabel) => (meta: EventMeta, reason: string): void => {
    // Galley validated it, so this is a bug or a foreign writer; every replica skips it alike.
    log.error({ stream, seq: meta.seq, reason }, 'undecodable event skipped');
    metrics.eventsInvalid.inc({ stream });
  };

  metrics.consumerLag.read = async () => {
    const [config, registry] = await Promise.all([streamLastSequence(bus, Streams.config), streamLastSequence(bus, Streams.registry)]);
    return { config: Math.max(0, config - state.configSeq), registry: Math.max(0, registry - state.registrySeq) };
  };

  const started = performance.now();
  const followers: StreamFollower[] = [];
  try {
    followers.push(
      await followStream(bus, {
        stream: Streams.config,
        fromSequence: initial.configSeq + 1,
        codec: ChangeSetCodec,
        onEvent: (event, meta) => accept(configLogEvent(meta.seq, event)),
        onInvalid: onInvalid('config'),
      }),
    );
    followers.push(
      await followStream(bus, {
        stream: Streams.registry,
        fromSequence: initial.registrySeq + 1,
        codec: RegistryEventCodec,
        onEvent: (event, meta) => accept(registryLogEvent(meta.seq, event)),
        onInvalid: onInvalid('registry'),
      }),
    );
  } catch (err) {
    await Promise.all(followers.map((f) => f.stop()));
    throw err;
  }

  const caughtUpPromise = Promise.all(followers.map((f) => f.caughtUp)).then(() => {
    fold();
    const replayMs = performance.now() - started;
    caughtUp = true;
    metrics.replaySeconds.set(replayMs / 1000);
    log.info(
      {
        configSeq: state.configSeq,
        registrySeq: state.registrySeq,
        fromConfigSeq: initial.configSeq + 1,
        fromRegistrySeq: initial.registrySeq + 1,
        events: foldedEvents,
        resources: state.resources.size,
        workloads: state.workloads.size,
        replayMs: Math.round(replayMs),
      },
      'caught up with the event log',
    );
    // Listeners run outside this promise, like every later flush, so a bug in one is not swallowed.
    flushScheduled ??= setImmediate(flush);
    if (registryCheck !== undefined) {
      registryCheck.after.then(
        () => {
          if (!stopping) purgeCheck = dropPurgedWorkloads(registryCheck.checkpoint.registrySeq);
        },
        () => undefined,
      );
    }
  });

  const fromCheckpoint = (at: number): [string, number][] =>
    [...state.workloads].filter(([, w]) => w.registrySeq <= at).map(([key, w]) => [key, w.registrySeq]);
  const dropPurgedWorkloads = async (at: number): Promise<void> => {
    const purged: string[] = [];
    try {
      await forEachConcurrently(fromCheckpoint(at), PURGE_CHECK_CONCURRENCY, async ([key, seq]) => {
        if (stopping) return;
        const w = state.workloads.get(key);
        if (w === undefined || w.registrySeq !== seq) return;
        if ((await lastSequenceOnSubject(bus, Streams.registry, Subjects.registry(w.namespace, w.name))) === 0) purged.push(key);
      });
    } catch (err) {
      if (!stopping) log.warn({ err }, 'registry checkpoint: could not check its workloads against MESH_REGISTRY');
      return;
    }
    // A workload registered again since the lookup carries a newer sequence and stays.
    const gone = purged.filter((key) => (state.workloads.get(key)?.registrySeq ?? Infinity) <= at);
    if (stopping || gone.length === 0) return;
    log.warn({ workloads: gone.length, first: gone[0] }, 'registry checkpoint held workloads purged from MESH_REGISTRY since: dropped');
    fold();
    state = withoutWorkloads(state, gone);
    emit();
  };

  // Observed by whoever cares (readiness, main); a failure here is also logged by the follower.
  caughtUpPromise.catch(() => undefined);
  const closed = Promise.race(followers.map((f) => f.closed));
  closed.catch(() => undefined);

  return {
    state: () => state,
    caughtUp: caughtUpPromise,
    isCaughtUp: () => caughtUp,
    onChange: (listener) => {
      listeners.add(listener);
      if (caughtUp) setImmediate(() => listeners.has(listener) && listener(state));
      return () => listeners.delete(listener);
    },
    closed,
    stop: async () => {
      stopping = true;
      await purgeCheck;
      if (flushScheduled !== undefined) clearImmediate(flushScheduled);
      flushScheduled = undefined;
      listeners.clear();
      await Promise.all(followers.map((f) => f.stop()));
    },
  };
}
