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
const trustRepublish = { src: Subjects.trustKeyAll, dest: Subjects.trustUpdatesAll };

/** What a KV bucket's stream must be, as far as we care about drift. */
function bucketStreamConfig(bucket: string, limits: { history: number; maxValueBytes: number }): DesiredStream {
  return {
    name: bucketStream(bucket),
    subjects: [`$KV.${bucket}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: 1,
    max_msgs_per_subject: limits.history,
    max_msg_size: limits.maxValueBytes,
    max_bytes: -1,
    max_age: 0,
    allow_direct: true,
    allow_rollup_hdrs: true,
  };
}

interface ManagedStream {
  readonly desired: DesiredStream;
  readonly create: (bus: Bus) => Promise<unknown>;
  /**
   * The KV bucket behind it, when its values are small and may be copied into a
   * recreated stream: the way to change what nats-server 2.9 cannot change in place.
   */
  readonly copyOnRecreate?: string;
}

const plainStream = (desired: DesiredStream): ManagedStream => ({ desired, create: (bus) => bus.jsm.streams.add(desired) });

function bucket(name: string, description: string, desired: DesiredStream, copyOnRecreate: boolean): ManagedStream {
  return {
    desired,
    create: (bus) =>
      new Kvm(bus.js).create(name, {
        description,
        history: desired.max_msgs_per_subject ?? 1,
        maxValueSize: desired.max_msg_size ?? -1,
        storage: StorageType.File,
        replicas: 1,
        max_bytes: -1,
        ...(desired.republish === undefined ? {} : { republish: desired.republish }),
        allow_direct: true,
      }),
    ...(copyOnRecreate ? { copyOnRecreate: name } : {}),
  };
}

const managed = {
  config: plainStream(configStream),
  registry: plainStream(registryStream),
  audit: plainStream(auditStream),
  snapshots: bucket(
    Buckets.snapshots,
    'routing snapshots, one key per host and per workload',
    { ...bucketStreamConfig(Buckets.snapshots, { history: Limits.snapshotHistory, maxValueBytes: Limits.snapshotMaxValueBytes }), republish: snapshotRepublish },
    false,
  ),
  // A few roots and a JWK set, all rewritable: copied when the stream must be recreated.
  trust: bucket(
    Buckets.trust,
    'trusted roots and token verification keys (JWKS)',
    { ...bucketStreamConfig(Buckets.trust, { history: Limits.trustHistory, maxValueBytes: Limits.trustMaxValueBytes }), republish: trustRepublish },
    true,
  ),
  // Never republished: a republish would put the CA keys on a core subject. An explicit
  // undefined makes one found there count as drift, which stops citadel (it cannot be removed in place).
  ca: bucket(
    Buckets.ca,
    'citadel private: CA keys and state',
    { ...bucketStreamConfig(Buckets.ca, { history: Limits.caHistory, maxValueBytes: Limits.caMaxValueBytes }), republish: undefined },
    false,
  ),
} as const;

/** The components that provision; each connects as its own NATS user (deploy/nats/). */
export type MeshComponent = 'galley' | 'pilot' | 'citadel';

/**
 * Who provisions what. An owner creates its streams and corrects their drift; a reader
 * only creates one that is missing (an identical create is harmless, so start order does not
 * matter) and leaves drift to the owner. deploy/nats/ grants each user exactly this.
 */
const provisioning: Record<MeshComponent, { readonly owns: readonly ManagedStream[]; readonly reads: readonly ManagedStream[] }> = {
  galley: { owns: [managed.config, managed.registry, managed.audit], reads: [managed.trust] },
  pilot: { owns: [managed.snapshots], reads: [managed.config, managed.registry] },
  citadel: { owns: [managed.audit, managed.trust, managed.ca], reads: [] },
};

function driftedFields(desired: DesiredStream, actual: StreamConfig): (keyof StreamConfig)[] {
  const keys = Object.keys(desired) as (keyof StreamConfig)[];
  return keys.filter((key) => JSON.stringify(desired[key]) !== JSON.stringify(actual[key]));
}

/** nats-server 2.9 refuses to change these on an existing stream ("can not change RePublish"). */
const fixedFields: readonly (keyof StreamConfig)[] = ['republish'];

async function currentConfig(bus: Bus, name: string): Promise<StreamConfig | undefined> {
  try {
    return (await bus.jsm.streams.info(name)).config;
  } catch (err) {
    if (isApiError(err, ApiErrorCodes.streamNotFound)) return undefined;
    throw err;
  }
}

/** Creates the stream; a racing identical create is accepted by the server, a different one is re-read by the caller. */
async function createStream(bus: Bus, stream: ManagedStream): Promise<'created' | 'raced'> {
  try {
    await stream.create(bus);
    bus.log.info({ stream: stream.desired.name }, 'stream created');
    return 'created';
  } catch (err) {
    if (isApiError(err, ApiErrorCodes.streamNameInUse)) return 'raced';
    throw err;
  }
}

/**
 * Replaces a bucket's stream by one with the desired config and the same live values.
 * The first sequence is moved past the old stream's last, so revisions only grow and a
 * reader that remembers one (every follower does) takes the copies as news.
 */
async function recreateWithValues(bus: Bus, stream: ManagedStream, bucketName: string, fields: readonly string[]): Promise<void> {
  const { jsm, js, log } = bus;
  const name = stream.desired.name;
  const lastSeq = (await jsm.streams.info(name)).state.last_seq;
  const old = await new Kvm(js).open(bucketName);
  const values: { key: string; value: Uint8Array }[] = [];
  for await (const key of await old.keys()) {
    const entry = await old.get(key);
    if (entry !== null && entry.operation === 'PUT') values.push({ key, value: entry.value });
  }
  log.warn({ stream: name, fields, keys: values.length }, 'nats-server cannot change these fields in place: recreating the stream with its values');
  try {
    await jsm.streams.delete(name);
  } catch (err) {
    if (!isApiError(err, ApiErrorCodes.streamNotFound)) throw err;
  }
  await createStream(bus, stream);
  await jsm.streams.purge(name, { seq: lastSeq + 1 });
  const fresh = await new Kvm(js).open(bucketName);
  for (const { key, value } of values) await fresh.put(key, value);
}

/**
 * Creates the stream, or (as its owner) updates the fields that drifted from
 * `desired`. Concurrent callers both succeed: an identical create is accepted by
 * the server, a losing racer re-reads and updates.
 */
async function ensureStream(bus: Bus, stream: ManagedStream, role: 'owner' | 'reader'): Promise<void> {
  const { jsm, log } = bus;
  const { desired } = stream;
  for (let attempt = 1; ; attempt++) {
    const actual = await currentConfig(bus, desired.name);
    if (actual === undefined) {
      if ((await createStream(bus, stream)) === 'raced' && attempt < 3) continue;
      return;
    }
    if (role === 'reader') return;
    const drifted = driftedFields(desired, actual);
    if (drifted.length === 0) return;
    const fixed = drifted.filter((field) => fixedFields.includes(field));
    if (fixed.length > 0) {
      if (stream.copyOnRecreate !== undefined) {
        await recreateWithValues(bus, stream, stream.copyOnRecreate, drifted);
        return;
      }
      throw new Error(
        `stream ${desired.name} has a different ${fixed.join(', ')} than this version needs, and nats-server cannot change ${fixed.length > 1 ? 'these' : 'that'} on an existing stream: an operator must recreate it`,
      );
    }
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

/** Ensures `streams` as their owner (creates, corrects drift). */
export async function provisionOwned(bus: Bus, streams: readonly ManagedStream[]): Promise<void> {
  for (const stream of streams) await ensureStream(bus, stream, 'owner');
}

/** Citadel's two buckets: mesh_trust (readable by every proxy) and mesh_ca (only citadel's user may read it). */
export const trustBuckets: readonly ManagedStream[] = [managed.trust, managed.ca];

/**
 * Idempotently creates (or corrects) what `component` provisions, safe to run from
 * every replica at once; without a component, every stream and bucket of the mesh
 * (an operator, tests, a server without users).
 */
export async function provisionMesh(bus: Bus, component?: MeshComponent): Promise<void> {
  if (component === undefined) {
    await provisionOwned(bus, Object.values(managed));
    return;
  }
  const { owns, reads } = provisioning[component];
  await provisionOwned(bus, owns);
  for (const stream of reads) await ensureStream(bus, stream, 'reader');
}
