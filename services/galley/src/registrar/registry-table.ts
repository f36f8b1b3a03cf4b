import { setTimeout as sleep } from 'node:timers/promises';
import { followStream, Streams, type Bus, type StreamFollower } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { RegistryEventCodec, type RegistryEvent, type WorkloadEntrySpec } from '@jetmesh/model';

/** What galley knows of one MESH_REGISTRY subject: the last event it saw there. */
export interface RegistryRow {
  /** Sequence of that event: what a write to the subject expects as its last. */
  readonly seq: number;
  readonly actor: string;
  /** Undefined once removed (the subject keeps the removal). */
  readonly workload: WorkloadEntrySpec | undefined;
}

export interface RegistryTable {
  get(namespace: string, name: string): RegistryRow | undefined;
  rows(): IterableIterator<[string, RegistryRow]>;
  /** A write this replica just made, known before the follower brings it back. */
  note(namespace: string, name: string, row: RegistryRow): void;
  /** Resolves once the follower has handed over `seq` (or after timeoutMs). */
  reach(seq: number, timeoutMs: number): Promise<void>;
  /** Called for every folded event that registered or updated a workload. */
  onUpsert(listener: (key: string, row: RegistryRow) => void): void;
  readonly caughtUp: Promise<void>;
  isCaughtUp(): boolean;
  stop(): Promise<void>;
}

export const workloadKey = (namespace: string, name: string): string => `${namespace}/${name}`;

const POLL_MS = 10;

/** Folds MESH_REGISTRY into namespace/name → the last event of its subject (compacted to one per subject anyway). */
export async function startRegistryTable(bus: Bus, log: Logger): Promise<RegistryTable> {
  const rows = new Map<string, RegistryRow>();
  const upsertListeners: Array<(key: string, row: RegistryRow) => void> = [];
  const fold = (event: RegistryEvent, seq: number): void => {
    const key = workloadKey(event.namespace, event.name);
    const held = rows.get(key);
    if (held !== undefined && held.seq >= seq) return;
    const row: RegistryRow = { seq, actor: event.actor, workload: event.type === 'WorkloadRemoved' ? undefined : event.workload };
    rows.set(key, row);
    if (row.workload !== undefined) for (const listener of upsertListeners) listener(key, row);
  };
  const follower: StreamFollower = await followStream(bus, {
    stream: Streams.registry,
    fromSequence: 1,
    codec: RegistryEventCodec,
    onEvent: (event, meta) => fold(event, meta.seq),
    onInvalid: (meta, reason) => log.warn({ seq: meta.seq, subject: meta.subject, reason }, 'registry event skipped'),
  });
  return {
    get: (namespace, name) => rows.get(workloadKey(namespace, name)),
    rows: () => rows.entries(),
    note: (namespace, name, row) => {
      const key = workloadKey(namespace, name);
      const held = rows.get(key);
      if (held === undefined || held.seq < row.seq) rows.set(key, row);
    },
    reach: async (seq, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (follower.lastSequence() < seq && Date.now() < deadline) await sleep(POLL_MS);
    },
    onUpsert: (listener) => void upsertListeners.push(listener),
    caughtUp: follower.caughtUp,
    isCaughtUp: () => follower.isCaughtUp(),
    stop: () => follower.stop(),
  };
}
