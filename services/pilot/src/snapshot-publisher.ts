import { setTimeout as sleep } from 'node:timers/promises';
import { hostForSnapshotKey, openSnapshotStore, snapshotKeyForHost, snapshotKeyForWorkload, Subjects, workloadForSnapshotKey, type Bus, type SnapshotStore } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { formatVersion, type SnapshotVersion, type VersionedSnapshot } from '@jetmesh/model';
import { forEachConcurrently } from './for-each-concurrently.js';
import type { PilotMetrics, SnapshotOutcome } from './pilot-metrics.js';
import type { SnapshotUpdate } from './snapshot-cache.js';
import { covers, decideRemove, decideWrite, storedEntryOf, type StoredEntry } from './snapshot-write-guard.js';

/** What one publish did to the mesh_snapshots bucket. */
export interface PublishReport {
  readonly version: SnapshotVersion;
  readonly hosts: number;
  readonly workloads: number;
  readonly outcomes: Readonly<Record<SnapshotOutcome, number>>;
  /** Hosts and workloads whose snapshot failed the consistency check and were left alone. */
  readonly rejected: number;
  readonly deriveMs: number;
  readonly publishMs: number;
}

/** Brings the host and workload keys of mesh_snapshots up to date with each derivation, guarded against other replicas. */
export interface SnapshotPublisher {
  /** Takes the latest snapshots; while a publish is running only the newest waiting update is kept. */
  publish(update: SnapshotUpdate): void;
  hasPublished(): boolean;
  /** The version of the last completed publish. */
  lastPublished(): SnapshotVersion | undefined;
  /** Resolves when the first publish has completed. */
  readonly firstPublish: Promise<void>;
  /** Waits for the publish in flight, then stops. */
  stop(): Promise<void>;
}

// KV writes are round trips; a few dozen in flight hide the latency without flooding the server.
const WRITES_IN_FLIGHT = 32;
/**
 * A failed publish is retried this soon: while a cluster elects the bucket's new leader a write
 * is refused at once ("no responders"), and the first retry after the election publishes.
 */
const RETRY_AFTER_MS = 250;
/** Through an election every retry fails alike: logged on the first failure and every this many. */
const LOG_FAILURE_EVERY = 8;
// Protocol headers of republished KV writes (the bus keeps its own copies private):
// the write's KV revision, and whether it deleted the key.
const REPUBLISHED_SEQUENCE_HEADER = 'Nats-Sequence';
const KV_OPERATION_HEADER = 'KV-Operation';
const DELETE_OPERATIONS = new Set(['DEL', 'PURGE']);

const noOutcomes = (): Record<SnapshotOutcome, number> => ({ written: 0, unchanged: 0, removed: 0, superseded: 0, oversized: 0 });

/** The keys pilot owns: a host's outbound snapshot or a workload's inbound one. */
const isOwnKey = (key: string): boolean => hostForSnapshotKey(key) !== undefined || workloadForSnapshotKey(key) !== undefined;

/** The key of workload `namespace/name`, or undefined when its name cannot be a KV key (the registry allows more than DNS labels). */
const workloadKey = (key: string): string | undefined => {
  const slash = key.indexOf('/');
  try {
    return snapshotKeyForWorkload(key.slice(0, slash), key.slice(slash + 1));
  } catch {
    return undefined;
  }
};

export async function startSnapshotPublisher(bus: Bus, log: Logger, metrics: PilotMetrics): Promise<SnapshotPublisher> {
  const store: SnapshotStore = await openSnapshotStore(bus);
  // Last known content of keys, so an unchanged snapshot costs no round trip; dropped when someone else writes.
  const known = new Map<string, StoredEntry>();
  // Host and workload keys that may hold a value: every one our derivation does not produce is removed.
  const ownedKeys = new Set<string>();
  let needsListing = true;
  // The newest version each key was seen holding. A key removed since was removed by a replica at
  // least that far along, so a replica not past it must not create the key again (delete markers carry no version).
  const lastSeen = new Map<string, SnapshotVersion>();
  const seen = (key: string, version: SnapshotVersion): void => {
    const before = lastSeen.get(key);
    if (before === undefined || covers(version, before)) lastSeen.set(key, version);
  };

  const updatesPrefix = Subjects.snapshotUpdates('');
  const watch = bus.nc.subscribe(Subjects.snapshotUpdatesAll, {
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'snapshot update subscription failed');
        needsListing = true;
        known.clear();
        return;
      }
      const key = msg.subject.slice(updatesPrefix.length);
      if (!isOwnKey(key)) return;
      const revision = Number(msg.headers?.get(REPUBLISHED_SEQUENCE_HEADER));
      const cached = known.get(key);
      // Our own writes come back too, and may arrive after we learnt of a later one.
      if (cached !== undefined && Number.isInteger(revision) && revision <= cached.revision) return;
      const deleted = DELETE_OPERATIONS.has(msg.headers?.get(KV_OPERATION_HEADER) ?? '');
      const version = deleted ? undefined : versionPrefix(msg.data);
      if (version !== undefined) seen(key, version);
      if (deleted) {
        known.set(key, { kind: 'absent', revision });
        ownedKeys.delete(key);
      } else {
        known.delete(key);
        ownedKeys.add(key);
      }
    },
  });
  (async () => {
    for await (const status of bus.nc.status()) {
      // Writes made while we were away never reached the subscription.
      if (status.type === 'reconnect') {
        needsListing = true;
        known.clear();
      }
    }
  })().catch((err: unknown) => log.warn({ err }, 'NATS status listener ended'));

  const read = async (key: string): Promise<StoredEntry> => {
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const entry = storedEntryOf(await store.get(key));
    if (entry.kind === 'foreign') log.warn({ key, revision: entry.revision }, 'snapshot key holds something else; replacing it');
    if (entry.kind === 'snapshot') seen(key, entry.version);
    known.set(key, entry);
    return entry;
  };

  const write = async (key: string, desired: VersionedSnapshot<unknown>): Promise<SnapshotOutcome> => {
    for (;;) {
      const stored = await read(key);
      const held = lastSeen.get(key);
      if (stored.kind === 'absent' && held !== undefined && covers(held, desired.version)) return 'superseded';
      const decision = decideWrite(stored, desired);
      if (decision.action === 'skip') return decision.outcome;
      const result = await store.put(key, desired, decision.expectedRevision);
      if (result._tag === 'Right') {
        known.set(key, { kind: 'snapshot', revision: result.right.revision, contentHash: desired.contentHash, version: desired.version });
        seen(key, desired.version);
        ownedKeys.add(key);
        return 'written';
      }
      if (result.left.code === 'TOO_LARGE') {
        log.error({ key, bytes: result.left.bytes, max: result.left.max }, 'snapshot too large for the bucket; not published');
        return 'oversized';
      }
      // Another replica wrote in between: read what it wrote and decide again.
      known.delete(key);
    }
  };

  const remove = async (key: string, version: SnapshotVersion): Promise<SnapshotOutcome | undefined> => {
    for (;;) {
      const decision = decideRemove(await read(key), version);
      if (decision.action === 'skip') {
        if (decision.outcome === 'absent') ownedKeys.delete(key);
        return decision.outcome === 'superseded' ? 'superseded' : undefined;
      }
      const result = await store.remove(key, decision.expectedRevision);
      if (result._tag === 'Right') {
        known.set(key, { kind: 'absent', revision: result.right.revision });
        ownedKeys.delete(key);
        return 'removed';
      }
      known.delete(key);
    }
  };

  const publishOnce = async ({ set, deriveMs }: SnapshotUpdate): Promise<PublishReport> => {
    const started = performance.now();
    if (needsListing) {
      // Cleared first: a reconnect during the listing asks for another.
      needsListing = false;
      try {
        for (const key of await store.keys()) if (isOwnKey(key)) ownedKeys.add(key);
      } catch (err) {
        needsListing = true;
        throw err;
      }
    }
    const outcomes = noOutcomes();
    const desiredKeys = new Set<string>();
    const unkeyable = new Set<string>();
    const writes: Array<{ key: string; snapshot: VersionedSnapshot<unknown> }> = [...set.snapshots].map(([host, snapshot]) => {
      const key = snapshotKeyForHost(host);
      desiredKeys.add(key);
      return { key, snapshot };
    });
    for (const [workload, snapshot] of set.workloads) {
      const key = workloadKey(workload);
      if (key === undefined) {
        unkeyable.add(workload);
        continue;
      }
      desiredKeys.add(key);
      writes.push({ key, snapshot });
    }
    // A host or workload whose snapshot failed the check keeps its last good one.
    for (const host of set.rejected.keys()) desiredKeys.add(snapshotKeyForHost(host));
    for (const workload of set.rejectedWorkloads.keys()) {
      const key = workloadKey(workload);
      if (key !== undefined) desiredKeys.add(key);
    }
    if (unkeyable.size > 0) log.warn({ workloads: [...unkeyable] }, 'workload names that cannot be snapshot keys; not published');
    await forEachConcurrently(writes, WRITES_IN_FLIGHT, async ({ key, snapshot }) => {
      outcomes[await write(key, snapshot)] += 1;
    });
    const gone = [...ownedKeys].filter((key) => !desiredKeys.has(key));
    await forEachConcurrently(gone, WRITES_IN_FLIGHT, async (key) => {
      const outcome = await remove(key, set.version);
      if (outcome !== undefined) outcomes[outcome] += 1;
    });
    const publishMs = performance.now() - started;
    for (const [outcome, count] of Object.entries(outcomes)) if (count > 0) metrics.snapshots.inc({ outcome }, count);
    metrics.publishSeconds.observe(publishMs / 1000);
    return {
      version: set.version,
      hosts: set.snapshots.size,
      workloads: set.workloads.size,
      outcomes,
      rejected: set.rejected.size + set.rejectedWorkloads.size,
      deriveMs,
      publishMs,
    };
  };

  let latest: SnapshotUpdate | undefined;
  let running: Promise<void> | undefined;
  let published: SnapshotVersion | undefined;
  let resolveFirst!: () => void;
  const firstPublish = new Promise<void>((resolve) => (resolveFirst = resolve));
  const stopping = new AbortController();

  const drain = async (): Promise<void> => {
    let failures = 0;
    try {
      while (latest !== undefined && !stopping.signal.aborted) {
        const update = latest;
        latest = undefined;
        try {
          const report = await publishOnce(update);
          if (failures > 0) log.info({ version: formatVersion(report.version), failures }, 'publishing snapshots works again');
          failures = 0;
          log.info(
            {
              version: formatVersion(report.version),
              hosts: report.hosts,
              workloads: report.workloads,
              ...report.outcomes,
              rejected: report.rejected,
              deriveMs: round(report.deriveMs),
              publishMs: round(report.publishMs),
            },
            'snapshots published',
          );
          if (published === undefined) resolveFirst();
          published = report.version;
        } catch (err) {
          // Lost infrastructure (timeout, leader election, disconnect): forget what we knew of each key's
          // content (a timed-out write may have landed) and try again with the newest snapshots. Keys
          // others wrote meanwhile reached the subscription; after a reconnect the listing is redone.
          if (failures % LOG_FAILURE_EVERY === 0) log.error({ err, version: formatVersion(update.set.version), failures: failures + 1 }, 'publishing snapshots failed; retrying');
          failures += 1;
          known.clear();
          latest ??= update;
          await sleep(RETRY_AFTER_MS, undefined, { signal: stopping.signal }).catch(() => undefined);
        }
      }
    } finally {
      running = undefined;
    }
  };

  return {
    publish: (update) => {
      if (stopping.signal.aborted) return;
      latest = update;
      running ??= drain();
    },
    hasPublished: () => published !== undefined,
    lastPublished: () => published,
    firstPublish,
    stop: async () => {
      stopping.abort();
      await running;
      watch.unsubscribe();
    },
  };
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

// Pilot writes `{"version":{"config":C,"registry":R},…}` (JSON.stringify keeps the key order it builds):
// the prefix is enough, and cheaper than parsing every snapshot every replica writes.
const VERSION_PREFIX = /^\{"version":\{"config":(\d+),"registry":(\d+)\}/;
const prefixDecoder = new TextDecoder();
const versionPrefix = (data: Uint8Array): SnapshotVersion | undefined => {
  const m = VERSION_PREFIX.exec(prefixDecoder.decode(data.subarray(0, 96)));
  return m === null ? undefined : { config: Number(m[1]), registry: Number(m[2]) };
};
