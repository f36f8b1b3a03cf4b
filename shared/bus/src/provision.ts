import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos } from '@nats-io/transport-node';
import type { Bus } from './connect.js';
import { ApiErrorCodes, isApiError } from './jetstream-api-error.js';
import { Buckets, bucketStream, Limits, Streams, Subjects } from './names.js';

type DesiredStream = Partial<StreamConfig> & Pick<StreamConfig, 'name'>;

// Every limit is spelled out, so nothing depends on a server or client default.
const unlimited = {
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  num_replicas: 1,
  max_consumers: -1,
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  discard: DiscardPolicy.Old,
  duplicate_window: nanos(Limits.duplicateWindowMs),
} as const;

/** The source of truth: never trimmed, never edited. */
const configStream: DesiredStream = {
  ...unlimited,
  name: Streams.config,
  subjects: [Subjects.config],
  max_msgs_per_subject: -1,
  max_msg_size: Limits.configMaxMsgBytes,
  deny_delete: true,
  deny_purge: true,
};

/** Compacted per workload: only the latest event of each subject is kept. */
const registryStream: DesiredStream = {
  ...unlimited,
  name: Streams.registry,
  subjects: [Subjects.registryAll],
  max_msgs_per_subject: Limits.registryMaxMsgsPerSubject,
  max_msg_size: Limits.registryMaxMsgBytes,
  // A state table, not an audit log: operators may purge removed workloads.
  deny_delete: false,
  deny_purge: false,
};

/** Who was given which identity: never trimmed, never edited. */
const auditStream: DesiredStream = {
  ...unlimited,
  name: Streams.audit,
  subjects: [Subjects.auditAll],
  max_msgs_per_subject: -1,
  max_msg_size: Limits.auditMaxMsgBytes,
  deny_delete: true,
  deny_purge: true,
};

// Whole messages (headers_only unset: the server omits a false value, so setting it would look like drift).
const snapshotRepublish = { src: Subjects.snapshotKeyAll, dest: Subjects.snapshotUpdatesAll };

/** The stream behind the mesh_snapshots bucket, as far as we care about drift. */
const snapshotBucketStream: DesiredStream = {
  name: bucketStream(Buckets.snapshots),
  subjects: [Subjects.snapshotKeyAll],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  num_replicas: 1,
  max_msgs_per_subject: Limits.snapshotHistory,
  max_msg_size: Limits.snapshotMaxValueBytes,
  max_bytes: -1,
  max_age: 0,
  republish: snapshotRepublish,
  allow_direct: true,
  allow_rollup_hdrs: true,
};

function driftedFields(desired: DesiredStream, actual: StreamConfig): (keyof StreamConfig)[] {
  const keys = Object.keys(desired) as (keyof StreamConfig)[];
  return keys.filter((key) => JSON.stringify(desired[key]) !== JSON.stringify(actual[key]));
}

/**
 * Creates the stream, or updates the fields that drifted from `desired`.
 * Concurrent callers both succeed: an identical create is accepted by the
 * server, a losing racer re-reads and updates.
 */
async function ensureStream(bus: Bus, desired: DesiredStream, create: () => Promise<unknown>): Promise<void> {
  const { jsm, log } = bus;
  for (let attempt = 1; ; attempt++) {
    let actual: StreamConfig;
    try {
      actual = (await jsm.streams.info(desired.name)).config;
    } catch (err) {
      if (!isApiError(err, ApiErrorCodes.streamNotFound)) throw err;
      try {
        await create();
        log.info({ stream: desired.name }, 'stream created');
        return;
      } catch (createErr) {
        if (isApiError(createErr, ApiErrorCodes.streamNameInUse) && attempt < 3) continue;
        throw createErr;
      }
    }
    const drifted = driftedFields(desired, actual);
    if (drifted.length === 0) return;
    const changes: Partial<StreamConfig> = {};
    for (const key of drifted) Object.assign(changes, { [key]: desired[key] });
    log.warn({ stream: desired.name, fields: drifted }, 'stream config drifted, updating');
    try {
      await jsm.streams.update(desired.name, changes);
    } catch (err) {
      throw new Error(`cannot update stream ${desired.name} (${drifted.join(', ')}): ${(err as Error).message}`, {
        cause: err,
      });
    }
    return;
  }
}

/** Idempotently creates (or corrects) every stream and bucket of the mesh. */
export async function provisionMesh(bus: Bus): Promise<void> {
  for (const stream of [configStream, registryStream, auditStream]) {
    await ensureStream(bus, stream, () => bus.jsm.streams.add(stream));
  }
  await ensureStream(bus, snapshotBucketStream, () =>
    new Kvm(bus.js).create(Buckets.snapshots, {
      description: 'routing snapshots, one key per host and per workload',
      history: Limits.snapshotHistory,
      maxValueSize: Limits.snapshotMaxValueBytes,
      storage: StorageType.File,
      replicas: 1,
      max_bytes: -1,
      republish: snapshotRepublish,
      allow_direct: true,
    }),
  );
}
