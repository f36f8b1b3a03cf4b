import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamApiError, type StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos } from '@nats-io/transport-node';
import type { Bus } from './connect.js';
import { ApiErrorCodes, isApiError } from './jetstream-api-error.js';
import { untilJetStreamReady, waitForStreamLeaders } from './jetstream-ready.js';
import { Buckets, bucketStream, kvSubject, Limits, Streams, Subjects } from './names.js';

type DesiredStream = Partial<StreamConfig> & Pick<StreamConfig, 'name'>;

export interface ProvisionOptions {
  /**
   * num_replicas of every stream and bucket provisioned (JETMESH_STREAM_REPLICAS); an owner
   * also scales existing ones to it. More than the cluster has JetStream servers fails with a
   * StreamReplicasError. Unset: new streams get 1, existing ones keep theirs (a caller that
   * does not know the deployment's count must not scale a stream down).
   */
  readonly replicas?: number;
}

/** The variable operators set the replica count with (parsed by @jetmesh/runtime's NatsEnv); named in errors. */
const REPLICAS_VARIABLE = 'JETMESH_STREAM_REPLICAS';

/** The cluster cannot hold `replicas` copies of a stream: a deployment error, retrying cannot help. */
export class StreamReplicasError extends Error {
  readonly code = 'REPLICAS';

  constructor(
    /** Undefined when no stream can have that many (a server without a cluster). */
    readonly stream: string | undefined,
    readonly replicas: number,
    readonly serverSays: string,
    cause?: unknown,
  ) {
    super(
      `cannot place ${stream === undefined ? 'any stream' : `stream ${stream}`} on ${replicas} replicas (${REPLICAS_VARIABLE}=${replicas}): nats-server says "${serverSays}"; ` +
        `set ${REPLICAS_VARIABLE} to at most the number of JetStream servers in the cluster (1 for a single server)`,
      { cause },
    );
    this.name = 'StreamReplicasError';
  }
}

const placementErrors = [ApiErrorCodes.noSuitablePeers, ApiErrorCodes.insufficientResources, ApiErrorCodes.replicasNotSupported];

/** The server's refusal to place `replicas` copies as a StreamReplicasError; anything else unchanged. */
function asReplicasError(err: unknown, stream: string, replicas: number): unknown {
  const refusal = placementErrors.find((code) => isApiError(err, code));
  return refusal === undefined ? err : new StreamReplicasError(stream, replicas, (err as JetStreamApiError).apiError().description, err);
}

// Every limit is spelled out, so nothing depends on a server or client default (num_replicas is added per deployment).
const unlimited = {
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
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
    subjects: [kvSubject(bucket, '>')],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_msgs_per_subject: limits.history,
    max_msg_size: limits.maxValueBytes,
    max_bytes: -1,
    max_age: 0,
    allow_direct: true,
    allow_rollup_hdrs: true,
  };
}

interface ManagedStream {
  /** Without num_replicas, which each deployment chooses (ProvisionOptions). */
  readonly desired: DesiredStream;
  readonly create: (bus: Bus, desired: DesiredStream) => Promise<unknown>;
  /**
   * The KV bucket behind it, when its values are small and may be copied into a
   * recreated stream: the way to change what nats-server 2.9 cannot change in place.
   */
  readonly copyOnRecreate?: string;
}

const plainStream = (desired: DesiredStream): ManagedStream => ({ desired, create: (bus, withReplicas) => bus.jsm.streams.add(withReplicas) });

function bucket(name: string, description: string, desired: DesiredStream, copyOnRecreate: boolean): ManagedStream {
  return {
    desired,
    create: (bus, withReplicas) =>
      new Kvm(bus.js).create(name, {
        description,
        history: withReplicas.max_msgs_per_subject ?? 1,
        maxValueSize: withReplicas.max_msg_size ?? -1,
        storage: StorageType.File,
        replicas: withReplicas.num_replicas ?? 1,
        max_bytes: -1,
        ...(withReplicas.republish === undefined ? {} : { republish: withReplicas.republish }),
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
  // Opened (or, without provisioning, created) by openCheckpointStore.
  checkpoints: bucket(
    Buckets.checkpoints,
    'config checkpoints: state at a MESH_CONFIG sequence, to shorten replays',
    bucketStreamConfig(Buckets.checkpoints, { history: 1, maxValueBytes: Limits.checkpointChunkBytes }),
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
  pilot: { owns: [managed.snapshots, managed.checkpoints], reads: [managed.config, managed.registry] },
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
async function createStream(bus: Bus, stream: ManagedStream, desired: DesiredStream): Promise<'created' | 'raced'> {
  try {
    await stream.create(bus, desired);
    bus.log.info({ stream: desired.name, replicas: desired.num_replicas }, 'stream created');
    return 'created';
  } catch (err) {
    if (isApiError(err, ApiErrorCodes.streamNameInUse)) return 'raced';
    throw asReplicasError(err, desired.name, desired.num_replicas ?? 1);
  }
}

/**
 * Replaces a bucket's stream by one with the desired config and the same live values.
 * The first sequence is moved past the old stream's last, so revisions only grow and a
 * reader that remembers one (every follower does) takes the copies as news.
 */
async function recreateWithValues(bus: Bus, stream: ManagedStream, desired: DesiredStream, bucketName: string, fields: readonly string[]): Promise<void> {
  const { jsm, js, log } = bus;
  const name = desired.name;
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
  await createStream(bus, stream, desired);
  await jsm.streams.purge(name, { seq: lastSeq + 1 });
  const fresh = await new Kvm(js).open(bucketName);
  for (const { key, value } of values) await fresh.put(key, value);
}

/**
 * Creates the stream, or (as its owner) updates the fields that drifted from
 * `desired`. Concurrent callers both succeed: an identical create is accepted by
 * the server, a losing racer re-reads and updates.
 */
async function ensureStream(bus: Bus, stream: ManagedStream, role: 'owner' | 'reader', replicas: number | undefined): Promise<void> {
  const { jsm, log } = bus;
  const desired: DesiredStream = replicas === undefined ? stream.desired : { ...stream.desired, num_replicas: replicas };
  for (let attempt = 1; ; attempt++) {
    const actual = await currentConfig(bus, desired.name);
    if (actual === undefined) {
      if ((await createStream(bus, stream, desired)) === 'raced' && attempt < 3) continue;
      return;
    }
    if (role === 'reader') return;
    const drifted = driftedFields(desired, actual);
    if (drifted.length === 0) return;
    const fixed = drifted.filter((field) => fixedFields.includes(field));
    if (fixed.length > 0) {
      if (stream.copyOnRecreate !== undefined) {
        await recreateWithValues(bus, stream, desired, stream.copyOnRecreate, drifted);
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
      // nats-server 2.9 scales replicas in place: new peers catch up from the leader in the background.
      await jsm.streams.update(desired.name, changes);
    } catch (err) {
      const refused = asReplicasError(err, desired.name, replicas ?? 1);
      if (refused !== err) throw refused;
      throw new Error(`cannot update stream ${desired.name} (${drifted.join(', ')}): ${(err as Error).message}`, {
        cause: err,
      });
    }
    return;
  }
}

/**
 * A standalone nats-server refuses to create a stream with replicas > 1 but accepts that
 * number in an update (and still keeps one copy), so drift correction would hide the
 * mistake: refuse before touching anything.
 */
function checkReplicas(bus: Bus, replicas: number | undefined): void {
  if (replicas === undefined) return;
  if (!Number.isSafeInteger(replicas) || replicas < 1) throw new Error(`stream replicas must be a positive integer, got ${replicas}`);
  if (replicas > 1 && bus.nc.info?.cluster === undefined) {
    throw new StreamReplicasError(undefined, replicas, `server ${bus.nc.info?.server_name ?? '?'} is not part of a cluster`);
  }
}

/** ensureStream, retried while the cluster elects leaders when the bus waits for them (ConnectOptions.readyWait). */
async function ensureStreamReady(bus: Bus, stream: ManagedStream, role: 'owner' | 'reader', replicas: number | undefined): Promise<void> {
  if (bus.readyWait === undefined) return ensureStream(bus, stream, role, replicas);
  return untilJetStreamReady(`stream ${stream.desired.name}`, () => ensureStream(bus, stream, role, replicas), bus.log, bus.readyWait);
}

/**
 * On a bus that waits for leaders, provisioning also waits until every stream it ensured has
 * one: a stream answers its info before its group has elected a leader (seconds after a whole
 * cluster restarts), and what a service does next needs that leader.
 */
async function provisionReady(bus: Bus, owns: readonly ManagedStream[], reads: readonly ManagedStream[], opts: ProvisionOptions): Promise<void> {
  checkReplicas(bus, opts.replicas);
  for (const stream of owns) await ensureStreamReady(bus, stream, 'owner', opts.replicas);
  for (const stream of reads) await ensureStreamReady(bus, stream, 'reader', opts.replicas);
  if (bus.readyWait !== undefined) await waitForStreamLeaders(bus, [...owns, ...reads].map((s) => s.desired.name), bus.readyWait);
}

/** Ensures `streams` as their owner (creates, corrects drift). */
export async function provisionOwned(bus: Bus, streams: readonly ManagedStream[], opts: ProvisionOptions = {}): Promise<void> {
  await provisionReady(bus, streams, [], opts);
}

/** Creates the checkpoint bucket when it is missing (pilot's provisioning normally made it); drift is left to pilot's provisioning. */
export async function ensureCheckpointBucket(bus: Bus): Promise<void> {
  await ensureStream(bus, managed.checkpoints, 'reader', undefined);
}

/** Citadel's two buckets: mesh_trust (readable by every proxy) and mesh_ca (only citadel's user may read it). */
export const trustBuckets: readonly ManagedStream[] = [managed.trust, managed.ca];

/**
 * Idempotently creates (or corrects) what `component` provisions, safe to run from
 * every replica at once; without a component, every stream and bucket of the mesh
 * (an operator, tests, a server without users).
 */
export async function provisionMesh(bus: Bus, component?: MeshComponent, opts: ProvisionOptions = {}): Promise<void> {
  if (component === undefined) {
    await provisionReady(bus, Object.values(managed), [], opts);
    return;
  }
  const { owns, reads } = provisioning[component];
  await provisionReady(bus, owns, reads, opts);
}
