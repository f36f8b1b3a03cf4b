import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type StreamLabel = 'config' | 'registry';

/** What happened to one snapshot key in one publish. */
export type SnapshotOutcome = 'written' | 'unchanged' | 'removed' | 'superseded' | 'oversized';

export interface PilotMetrics {
  readonly eventsFolded: Counter<'stream'>;
  readonly eventsInvalid: Counter<'stream'>;
  readonly snapshots: Counter<'outcome'>;
  readonly snapshotsInconsistent: Counter;
  readonly deriveSeconds: Histogram;
  readonly publishSeconds: Histogram;
  readonly replaySeconds: Gauge;
  readonly sequence: Gauge<'stream'>;
  /** Where a scrape reads how far this replica's fold trails each stream (set by the projection). */
  readonly consumerLag: ConsumerLagSource;
}

/** Messages stored in each stream that the fold has not reached yet. */
export interface ConsumerLagSource {
  read: (() => Promise<Record<StreamLabel, number>>) | undefined;
}

// Derivation and publishing are sub-millisecond to seconds depending on mesh size.
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createPilotMetrics(registry: Registry): PilotMetrics {
  const registers = [registry];
  const consumerLag: ConsumerLagSource = { read: undefined };
  new Gauge({
    name: 'jetmesh_consumer_lag_messages',
    help: "Messages stored in each stream (config, registry) that this replica's fold has not reached, read at scrape time",
    labelNames: ['stream'],
    registers,
    async collect() {
      const lag = await consumerLag.read?.().catch(() => undefined); // NATS away: no fresh figure, the last one stays
      if (lag === undefined) return;
      for (const stream of ['config', 'registry'] as const) this.set({ stream }, lag[stream]);
    },
  });
  return {
    consumerLag,
    eventsFolded: new Counter({
      name: 'pilot_events_folded_total',
      help: 'Log events folded into the mesh state, by stream',
      labelNames: ['stream'],
      registers,
    }),
    eventsInvalid: new Counter({
      name: 'pilot_events_invalid_total',
      help: 'Log events that did not decode and were skipped, by stream',
      labelNames: ['stream'],
      registers,
    }),
    snapshots: new Counter({
      name: 'pilot_snapshots_total',
      help: 'Snapshot keys per publish by outcome: written, unchanged (same content hash), removed, superseded (a newer version was stored), oversized (over the bucket value limit)',
      labelNames: ['outcome'],
      registers,
    }),
    snapshotsInconsistent: new Counter({
      name: 'pilot_snapshots_inconsistent_total',
      help: 'Derived snapshots that failed the consistency check and were not written (a derivation bug)',
      registers,
    }),
    deriveSeconds: new Histogram({
      name: 'pilot_derive_duration_seconds',
      help: 'Time to derive, hash and check every snapshot from the mesh state',
      buckets: latencyBuckets,
      registers,
    }),
    publishSeconds: new Histogram({
      name: 'pilot_publish_duration_seconds',
      help: 'Time to bring the mesh_snapshots bucket up to date after a derivation',
      buckets: latencyBuckets,
      registers,
    }),
    replaySeconds: new Gauge({
      name: 'pilot_replay_duration_seconds',
      help: 'How long the initial replay of MESH_CONFIG and MESH_REGISTRY took',
      registers,
    }),
    sequence: new Gauge({
      name: 'pilot_stream_sequence',
      help: 'Last sequence folded into the mesh state, by stream',
      labelNames: ['stream'],
      registers,
    }),
  };
}
